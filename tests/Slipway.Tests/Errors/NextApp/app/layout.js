export const metadata = { title: 'exp' };
export default function RootLayout({ children }) {
  return (<html lang="en"><body>{children}</body></html>);
}

import Thrower from './thrower';
export default function Page() {
  return (<main><h1>Hello</h1><Thrower /></main>);
}

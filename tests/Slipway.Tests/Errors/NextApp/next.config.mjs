// The app's own config: the wrapper Slipway writes for errors.sourceMaps must keep it.
export default { output: 'standalone' };

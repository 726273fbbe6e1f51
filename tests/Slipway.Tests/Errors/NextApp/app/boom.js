export function explodeOnPurpose(reason) {
  const detail = { reason, at: Date.now() };
  throw new Error('Slipway sourcemap test: ' + detail.reason);
}

export function checkout(cart) {
  const total = cart.items.reduce((sum, item) => sum + item.price, 0);
  return total.toFixed(2);
}

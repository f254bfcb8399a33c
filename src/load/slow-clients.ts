/**
 * Whether client `index` is one of the slow ones: spreads `fraction` of the clients evenly over
 * the index range (so every worker and every ramp stage gets its share), floor(total × fraction) in all.
 */
export function isSlowClient(index: number, fraction: number): boolean {
  return fraction > 0 && Math.floor((index + 1) * fraction) > Math.floor(index * fraction);
}

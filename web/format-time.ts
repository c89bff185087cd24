/** Short, local times for lists and messages: "14:05" today, "Mon 14:05" this week, else a date. */
const DAY_MS = 24 * 60 * 60 * 1000

export function formatTime(at: number, now = Date.now()): string {
  const date = new Date(at)
  const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
  if (new Date(now).toDateString() === date.toDateString()) return time
  if (now - at < 6 * DAY_MS && at < now) return `${date.toLocaleDateString(undefined, { weekday: 'short' })} ${time}`
  return `${date.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })} ${time}`
}

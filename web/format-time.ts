/** Short, local times for lists and messages: "14:05" today, "Mon 14:05" this week, else a date. */
const DAY_MS = 24 * 60 * 60 * 1000

export function formatTime(at: number, now = Date.now()): string {
  const date = new Date(at)
  const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
  if (new Date(now).toDateString() === date.toDateString()) return time
  if (now - at < 6 * DAY_MS && at < now) return `${date.toLocaleDateString(undefined, { weekday: 'short' })} ${time}`
  return `${date.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })} ${time}`
}

/** "just now", "5 min ago", "3 h ago", "2 days ago": how long since a past moment (admin console). */
export function formatAgo(at: number, now = Date.now()): string {
  const s = Math.max(0, now - at) / 1000
  if (s < 60) return 'just now'
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`
  const days = Math.floor(s / 86_400)
  return days === 1 ? '1 day ago' : `${days} days ago`
}

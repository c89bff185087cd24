/**
 * The baseline of relay-fanout.bench.ts: a plain Deno WebSocket broadcast server — no storage,
 * no login, no parsing. A socket joins the room named in its URL (`?room=…`; one room without
 * it). Each binary message goes to every other socket of its room, then a 1-byte ack goes back to
 * its sender, so it is driven exactly like the relay.
 */
const rooms = new Map<string, Set<WebSocket>>()
const ack = new Uint8Array([3])
const server = Deno.serve({ port: Number(Deno.env.get('PORT') ?? 0), hostname: '127.0.0.1', onListen: () => {} }, (req) => {
  const name = new URL(req.url).searchParams.get('room') ?? ''
  const room = rooms.get(name) ?? new Set<WebSocket>()
  rooms.set(name, room)
  const { socket, response } = Deno.upgradeWebSocket(req)
  socket.binaryType = 'arraybuffer'
  socket.onopen = () => room.add(socket)
  socket.onclose = () => room.delete(socket)
  socket.onmessage = (e) => {
    for (const s of room) if (s !== socket && s.readyState === WebSocket.OPEN) s.send(e.data)
    socket.send(ack)
  }
  return response
})
console.log(`baseline listening on http://127.0.0.1:${server.addr.port}`)
Deno.addSignalListener('SIGTERM', () => Deno.exit(0))

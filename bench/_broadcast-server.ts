/**
 * The baseline of relay-fanout.bench.ts: a plain Deno WebSocket broadcast server — no storage,
 * no login, no parsing. Each binary message goes to every other socket, then a 1-byte ack goes
 * back to its sender, so it is driven exactly like the relay.
 */
const sockets = new Set<WebSocket>()
const ack = new Uint8Array([3])
const server = Deno.serve({ port: Number(Deno.env.get('PORT') ?? 0), hostname: '127.0.0.1', onListen: () => {} }, (req) => {
  const { socket, response } = Deno.upgradeWebSocket(req)
  socket.binaryType = 'arraybuffer'
  socket.onopen = () => sockets.add(socket)
  socket.onclose = () => sockets.delete(socket)
  socket.onmessage = (e) => {
    for (const s of sockets) if (s !== socket && s.readyState === WebSocket.OPEN) s.send(e.data)
    socket.send(ack)
  }
  return response
})
console.log(`baseline listening on http://127.0.0.1:${server.addr.port}`)
Deno.addSignalListener('SIGTERM', () => Deno.exit(0))

// The WebSocket echo server of bench/websocket.sh: Node's `ws` (the library
// Artillery's ws engine uses, from bench/artillery's pinned install) on
// 127.0.0.1, one process. Usage: node websocket_echo.cjs PORT; prints
// "ready", then counts messages and prints the count on SIGTERM.
const { WebSocketServer } = require(process.env.WS_MODULE || 'ws');
const port = Number(process.argv[2]);
let messages = 0;
const wss = new WebSocketServer({ host: '127.0.0.1', port }, () => console.log('ready'));
wss.on('connection', (ws) => {
  ws.on('message', (data, binary) => {
    messages++;
    ws.send(data, { binary });
  });
});
process.on('SIGTERM', () => {
  console.log(`messages ${messages}`);
  process.exit(0);
});

// Integration tests need a real Redis. Fail loudly when none answers: never skip silently.
const net = require('node:net');

module.exports = async function globalSetup() {
  const url = new URL(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
  const ok = await new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port || 6379) });
    socket.setTimeout(2000);
    socket.once('connect', () => { socket.write('PING\r\n'); });
    socket.once('data', (d) => { socket.destroy(); resolve(String(d).startsWith('+PONG')); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
  if (!ok) {
    throw new Error(
      `Redis does not answer at ${url.host}: the integration tests need it. Start one with ` +
        '`redis-server --daemonize yes --port 6379 --save "" --appendonly no`, or set REDIS_URL.',
    );
  }
};

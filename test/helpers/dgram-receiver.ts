// A python3 receiver for AF_UNIX datagram sockets (systemd's NOTIFY_SOCKET, syslog's
// /dev/log): Node has no AF_UNIX datagrams. Run as `python3 -c DGRAM_RECEIVER PATH`: it binds
// PATH, prints {"bound": true}, then each datagram as one JSON line {t (monotonic s), msg}.
export const DGRAM_RECEIVER = [
  'import json, socket, sys, time',
  's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
  's.bind(sys.argv[1])',
  'print(json.dumps({"bound": True}), flush=True)',
  'while True:',
  '    d = s.recv(65536)',
  '    print(json.dumps({"t": time.monotonic(), "msg": d.decode()}), flush=True)',
].join('\n');

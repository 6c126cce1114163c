#!/usr/bin/env python3
# Idle memory per session: N logged-in TCP sessions, then N logged-in WebSocket
# sessions, on one chatd (2 loops); prints the RSS growth per session.
# Usage: scripts/web_session_memory.py [N] [path/to/chatd]   (ports 17910, 17911)
import socket, struct, os, base64, subprocess, time, sys
N=int(sys.argv[1]) if len(sys.argv)>1 else 2000
chatd=sys.argv[2] if len(sys.argv)>2 else "build/chatd"
p=subprocess.Popen([chatd,"--listen","127.0.0.1:17910","--web","127.0.0.1:17911","--http","","--threads","2","--lobby","","--log-level","warn"])
time.sleep(0.5)
def rss():
    for l in open(f"/proc/{p.pid}/status"):
        if l.startswith("VmRSS"): return int(l.split()[1])
def hello(i, req=1):
    user=("u%d"%i).encode()
    payload=struct.pack(">IQ",req,0)+bytes([len(user)])+user+b"\0\0"
    return b"\xca\xf0\x01\x01"+struct.pack(">I",len(payload))+payload
def wsframe(payload):
    m=os.urandom(4); n=len(payload)
    h=bytes([0x82, 0x80|n]) if n<126 else bytes([0x82,0x80|126])+struct.pack(">H",n)
    return h+m+bytes(b^m[i%4] for i,b in enumerate(payload))
def readsome(s, want):
    got=b""
    while len(got)<want:
        got+=s.recv(65536)
    return got
base=rss()
tcp=[]
for i in range(N):
    s=socket.create_connection(("127.0.0.1",17910)); s.sendall(hello(i)); tcp.append(s)
for s in tcp: readsome(s, 8)
time.sleep(1.5); r_tcp=rss()
for s in tcp: s.close()
time.sleep(1.5); base2=rss()
ws=[]
for i in range(N):
    s=socket.create_connection(("127.0.0.1",17911))
    key=base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:17911\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"%key).encode())
    s.sendall(wsframe(hello(N+i))); ws.append(s)
for s in ws: readsome(s, 100)
time.sleep(1.5); r_ws=rss()
print(f"N={N} base={base}KiB tcp={r_tcp}KiB (+{(r_tcp-base)*1024/N:.0f} B/session) after-close={base2}KiB ws={r_ws}KiB (+{(r_ws-base2)*1024/N:.0f} B/session over the post-TCP baseline)")
p.terminate(); p.wait()

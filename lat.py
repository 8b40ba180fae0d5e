import socket, time, sys
port=int(sys.argv[1])
worst=0; slow=0
for i in range(2000):
    s=socket.socket(); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY,1)
    s.setblocking(False)
    try: s.connect(('127.0.0.1',port))
    except BlockingIOError: pass
    t=time.monotonic()
    import select
    select.select([],[s],[],2)
    s.setblocking(True); s.settimeout(3)
    s.sendall(b"*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$16\r\nsentinel-abc-cmd\r\n*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nINFO\r\n")
    buf=b""
    try:
        while b"+PONG\r\n" not in buf:
            d=s.recv(65536)
            if not d: break
            buf+=d
    except socket.timeout:
        pass
    dt=time.monotonic()-t
    worst=max(worst,dt); slow+= dt>0.1
    s.close()
print("worst %.3f s, slow(>100ms) %d"%(worst,slow))

# Starts moto's AWS emulator on a free loopback port, prints the port, and serves until the
# parent closes our stdin (so the server never outlives the test process that started it).
import sys

from moto.server import ThreadedMotoServer

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()
server.stop()

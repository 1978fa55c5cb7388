import time, pytest
from conftest import result_line
IMPORTS = "import json, time\nimport ipywebsockets as iws\n"
@pytest.mark.kernel
def test_dbg(kernel):
    print(kernel.run("import ipywebsockets as iws\n"+result_line("iws.__file__")).result())
    t=time.monotonic()
    setup = kernel.run(IMPORTS + "srv = iws.TickerServer(rate=None).start()\nws = iws.WebSocket(srv.url)\nws.recv(timeout=10)\n" + result_line("ws.model_id"))
    print("setup", time.monotonic()-t); t=time.monotonic()
    c = kernel.run("t0 = time.time(); time.sleep(3); t1 = time.time()\nws.messages\n" + result_line("{'t0': t0, 't1': t1, 'received': ws.received}"))
    print("cell", time.monotonic()-t, c.result()); t=time.monotonic()
    mid = setup.result()
    n = [e for e in c.during() if e.msg_type=='comm_msg' and e.content['comm_id']==mid]
    print(len(n), len(c.during()))
    c = kernel.run("t=time.monotonic(); ws.close(); a=time.monotonic()-t; time.sleep(0.5); t=time.monotonic(); srv.stop(); b=time.monotonic()-t\n"+result_line("[a,b]"))
    print("close", time.monotonic()-t, c.result())

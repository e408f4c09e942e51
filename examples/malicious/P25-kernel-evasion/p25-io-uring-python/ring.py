# Corpus fixture (P25): sets up an io_uring with ctypes, the first step of reading ~/.npmrc with
# no open() or read() for a syscall tracer to see. Harmless: without a ring it gives up; with one it
# only closes it again.
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR_IO_URING_SETUP = 425
params = ctypes.create_string_buffer(120)  # struct io_uring_params
ring = libc.syscall(NR_IO_URING_SETUP, 8, params)
if ring < 0:
    print("no io_uring:", os.strerror(ctypes.get_errno()))
else:
    os.close(ring)

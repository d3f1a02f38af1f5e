#!/bin/sh
# The keys pogo offers follow OpenSSH's reading of the ssh_config (user
# bug: "Match host" was matched against the final HostName, so a block
# above the HostName line added keys ssh(1) does not offer).  Random
# configs of Host and Match blocks (host, originalhost, user, localuser,
# exec with %h %p %r %n, final, canonical, all, negations) with
# HostName, Port, User, IdentityFile and IdentitiesOnly lines, for a
# name given with or without -l and -p: pogo's reader
# (sshconfig-tool, given the final HostName, Port and User that ssh -G
# prints) must give the IdentityFile list and IdentitiesOnly of ssh -G.
# Fixed seeds: the same configs every run.
. "$(dirname "$0")/lib.sh"
e2e_init
TOOL=$(dirname "$POGO")/sshconfig-tool
[ -x "$TOOL" ] || fail "no $TOOL"
command -v ssh >/dev/null || skip "no ssh (openssh-client)"
command -v python3 >/dev/null || skip "no python3"
cd "$T" || exit 1
python3 - "$TOOL" "$(id -un)" 300 >"$T/result" 2>&1 <<'EOP'
import random, subprocess, sys

tool, me, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
pats = ['web1', 'web*', '10.0.0.1', '10.0.0.*', 'web1.example', '*', 'db1',
        '10.0.0.2']
rnd = random.Random(1040)


def patlist():
    out = []
    for _ in range(rnd.choice([1, 1, 1, 2])):
        out.append(('!' if rnd.random() < 0.2 else '') + rnd.choice(pats))
    return out


def criterion():
    c = rnd.choice(['host', 'originalhost', 'user', 'final', 'canonical',
                    'exec', 'localuser'])
    neg = '!' if rnd.random() < 0.2 else ''
    if c in ('final', 'canonical'):
        return neg + c
    if c == 'exec':
        t = rnd.choice(['%h = 10.0.0.1', '%h = web1', '%p = 2222', '%p = 22',
                        '%r = deploy', '%r = ' + me, '%n = web1'])
        return neg + 'exec "test ' + t + '"'
    if c == 'user':
        return neg + 'user ' + rnd.choice(['deploy', me, 'd*'])
    if c == 'localuser':
        return neg + 'localuser ' + rnd.choice([me, 'nobody-else'])
    return neg + c + ' ' + ','.join(patlist())


def config():
    lines, ids = [], 0
    for _ in range(rnd.randint(2, 8)):
        r = rnd.random()
        if r < 0.45:
            # Blanks separate Host patterns (libssh also takes commas).
            lines.append('Host ' + ' '.join(patlist()))
        elif r < 0.5:
            lines.append('Match ' + rnd.choice(['all', 'final all',
                                                'canonical all', '!all']))
        else:
            lines.append('Match ' + ' '.join(
                criterion() for _ in range(rnd.randint(1, 2))))
        for _ in range(rnd.randint(1, 3)):
            r = rnd.random()
            if r < 0.45:
                ids += 1
                lines.append('  IdentityFile /k/%d' % ids)
            elif r < 0.6:
                lines.append('  HostName ' + rnd.choice(
                    ['10.0.0.1', '10.0.0.2', '%h.example']))
            elif r < 0.7:
                lines.append('  Port ' + rnd.choice(['2222', '22', '3333']))
            elif r < 0.8:
                lines.append('  User ' + rnd.choice(['deploy', 'bob']))
            else:
                lines.append('  IdentitiesOnly ' + rnd.choice(['yes', 'no']))
    return '\n'.join(lines) + '\n'


compared = bad = 0
for n in range(count):
    text = config()
    with open('config', 'w') as f:
        f.write(text)
    flags = rnd.choice([[], [], ['-l', 'deploy'], ['-p', '2222'],
                        ['-l', 'bob', '-p', '22']])
    name = rnd.choice(['web1', 'web1', 'db1'])
    p = subprocess.run(['ssh', '-G', '-F', 'config'] + flags + [name],
                       capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        continue
    want, kv = [], {}
    for line in p.stdout.splitlines():
        k, _, v = line.partition(' ')
        if k == 'identityfile':
            want.append(v)
        elif k in ('hostname', 'port', 'user', 'identitiesonly'):
            kv[k] = v
    # ssh -G lists its default files when no IdentityFile applies.
    if all(f.startswith('~/.ssh/id_') for f in want):
        want = []
    given = ('u' if '-l' in flags else '') + ('p' if '-p' in flags else '')
    q = subprocess.run([tool, 'config', name, kv['hostname'], kv['port'],
                        kv['user'], me, given or '-'],
                       capture_output=True, text=True, timeout=30)
    got = [l[13:] for l in q.stdout.splitlines()
           if l.startswith('identityfile ')]
    only = [l[15:] for l in q.stdout.splitlines()
            if l.startswith('identitiesonly ')]
    compared += 1
    if q.returncode != 0 or got != want or only != [kv['identitiesonly']]:
        bad += 1
        if bad <= 3:
            print('config %d, %s %s (ssh -G: %s)\n%s  ssh -G: %s %s\n'
                  '  pogo:   %s %s %s' % (n, ' '.join(flags), name, kv,
                                          text, want, kv['identitiesonly'],
                                          got, only, q.stderr.strip()))
print('compared %d bad %d' % (compared, bad))
EOP
rc=$?
[ $rc = 0 ] || fail "python3 exited $rc: $(cat "$T/result")"
tail -n 1 "$T/result" | grep -q ' bad 0$' || fail "$(cat "$T/result")"
# Most configs are valid for ssh -G: the comparison is not empty.
n=$(tail -n 1 "$T/result" | cut -d' ' -f2)
[ "$n" -ge 200 ] || fail "only $n configs compared: $(cat "$T/result")"
echo "PASS $E2E_NAME ($n configs)"

# Measures the release switch on a host (docs/git-releases.md): readers through current during 2000
# switches by rename and by busybox ln -sfn, then the rename alone. Works in /root/measure
# (made here: releases a and b, current -> a).
p=/root/measure; rm -rf $p; mkdir -p $p/releases/a $p/releases/b
echo "release a" > $p/releases/a/VERSION; echo "release b" > $p/releases/b/VERSION
(cd $p && ln -s releases/a current)
p=/root/measure; cd $p
for kind in rename busybox; do
  rm -f stop reads
  sh -c 'while [ ! -e stop ]; do cat current/VERSION 2>/dev/null || echo MISSING; done > reads' &
  sleep 0.2
  for i in $(seq 1000); do
    if [ $kind = rename ]; then ln -s releases/b .n && mv -T .n current; ln -s releases/a .n && mv -T .n current
    else busybox ln -sfn releases/b current; busybox ln -sfn releases/a current; fi
  done
  touch stop; wait
  echo "$kind: $(wc -l < reads) reads, $(grep -c MISSING reads) missing"
done
# the switch as the module runs it (ln -s + mv -T: two process starts), without readers
start=$(date +%s%N)
for i in $(seq 500); do ln -s releases/b .n && mv -T .n current; ln -s releases/a .n && mv -T .n current; done
echo "ln -s + mv -T switch: $(( ($(date +%s%N) - start) / 1000 / 1000 )) us each (1000 switches)"
# the rename alone, without process start-up: python's os.replace
python3 - <<'PY'
import os, time
os.chdir("/root/measure")
n=10000; t=time.perf_counter()
for i in range(n):
    os.symlink("releases/b" if i%2 else "releases/a", ".n"); os.replace(".n", "current")
print("rename(2) switch: %.1f us each (%d switches)" % ((time.perf_counter()-t)/n*1e6, n))
PY

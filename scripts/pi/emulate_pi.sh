#!/usr/bin/env bash
# Prove the device side on 64-bit Arm: Debian bookworm arm64 (the base of Raspberry Pi OS 64-bit,
# Python 3.11, glibc 2.36) under qemu-user-static, the core install (no torch) as a Pi user gets it,
# (wheels for glibc <= 2.36, as pip on the Pi accepts), then the streaming runtime on a replayed recording with the built-in int8 ONNX and TFLite models
# and `harnet-edge bench`, compared with the same run on this x86_64 machine.
# Run on demand as root (not in CI): bash scripts/pi/emulate_pi.sh [ROOTFS_DIR]
# The Debian mirror comes from DEBIAN_MIRROR, else from this machine's own apt sources (the first
# source whose path ends in /debian); no host name is written into the repository.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
ROOT=${1:-/var/tmp/harnet-pi-arm64}
OUT=${OUT:-$REPO/runs/pi}
PY=${PY:-$REPO/.venv/bin/python}
# The built-in int8 models, named where the runtime names them (runtime/defaults.py).
MODELS=$("$PY" "$REPO/scripts/pi/compare_runs.py" --models)
mkdir -p "$OUT"
rm -f "$OUT"/*.jsonl   # sinks append: start each comparison from empty files

command -v debootstrap >/dev/null && command -v qemu-aarch64-static >/dev/null || \
  apt-get install -y -qq debootstrap qemu-user-static binfmt-support
[ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true

debian_mirror() {
  # deb822 (*.sources: "URIs: ...") and one-line (*.list: "deb [opts] URI suite ...") apt sources.
  local apt=${APT_ETC:-/etc/apt}
  local files=("$apt/sources.list" "$apt"/sources.list.d/*.sources "$apt"/sources.list.d/*.list)
  { grep -hE '^[[:space:]]*URIs:' "${files[@]}" 2>/dev/null | sed -E 's/^[[:space:]]*URIs:[[:space:]]*//' | tr ' ' '\n'
    grep -hE '^[[:space:]]*deb[[:space:]]' "${files[@]}" 2>/dev/null | sed -E 's/\[[^]]*\]//' | awk '{print $2}'
  } | grep -E '^https?://[^ ]+/debian/?$' | head -1
}

if [ ! -x "$ROOT/usr/bin/python3" ]; then
  MIRROR=${DEBIAN_MIRROR:-$(debian_mirror)}
  if [ -z "$MIRROR" ]; then
    echo "no Debian mirror in this machine's apt sources: set DEBIAN_MIRROR=http://<your mirror>/debian" >&2
    exit 2
  fi
  echo "== debootstrap bookworm arm64 into $ROOT from $MIRROR"
  debootstrap --arch=arm64 --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$ROOT" "$MIRROR" > "$OUT/debootstrap.log" 2>&1
fi

echo "== aarch64 wheels, binary only (what pip picks on a Pi: manylinux for aarch64, CPython 3.11)"
rm -rf "$ROOT/opt/wheels" && mkdir -p "$ROOT/opt/wheels"
(cd "$REPO" && "$PY" -m pip wheel --no-deps -q -w "$ROOT/opt/wheels" .)
# Every manylinux tag that glibc 2.36 accepts (ai-edge-litert 2.3 ships manylinux_2_27_aarch64 only).
PLATFORMS="--platform manylinux2014_aarch64"
for n in $(seq 17 36); do PLATFORMS="$PLATFORMS --platform manylinux_2_${n}_aarch64"; done
"$PY" -m pip download -q --only-binary=:all: $PLATFORMS --python-version 3.11 --implementation cp \
  -d "$ROOT/opt/wheels" numpy onnxruntime bleak ai-edge-litert
ls "$ROOT/opt/wheels" | tee "$OUT/wheels_arm64.txt"

echo "== replay file and reference run on $(uname -m)"
"$PY" - "$ROOT/opt/replay.csv" <<'PYEOF'
import sys
import numpy as np
from harnet_edge.data import read_selfback_wrist, datasets_root, write_csv
recs = read_selfback_wrist(datasets_root() / "selfback_wrist", subjects={"026"})
t = np.concatenate([r.t - r.t[0] + 400 * i for i, r in enumerate(recs)])
xyz = np.concatenate([r.xyz for r in recs])
write_csv(sys.argv[1], t, xyz)
PYEOF
cp -r "$REPO/harnet_edge/default_models" "$ROOT/opt/models"
for m in $MODELS; do
  "$PY" -m harnet_edge.cli stream "$ROOT/opt/models/$m" --replay "$ROOT/opt/replay.csv" --speed max --quiet \
    --jsonl "$OUT/x86_64_$m.jsonl" > "$OUT/x86_64_$m.summary"
done

echo "== inside the arm64 root file system (emulated)"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
cat > "$ROOT/opt/run.sh" <<'INNER'
set -e
uname -m; python3 --version; ldd --version | head -1
python3 -m venv /opt/venv
/opt/venv/bin/pip install -q --no-index --find-links /opt/wheels --only-binary=:all: "harnet-edge[tflite]"
/opt/venv/bin/pip list --format=freeze > /opt/out/pip_list_arm64.txt
/opt/venv/bin/python -c "import sys, harnet_edge.runtime; print('torch imported:', 'torch' in sys.modules)"
for m in $MODELS; do
  /opt/venv/bin/harnet-edge stream /opt/models/$m --replay /opt/replay.csv --speed max --quiet \
    --jsonl /opt/out/aarch64_$m.jsonl > /opt/out/aarch64_$m.summary
done
/opt/venv/bin/harnet-edge bench $(for m in $MODELS; do echo /opt/models/$m; done) \
  --threads 1 --batch 1 --seconds 0.5 --out /opt/out/bench > /opt/out/bench_arm64.txt
INNER
mkdir -p "$ROOT/opt/out"
# /proc only: with the host's /sys visible, onnxruntime's cpuinfo reads x86 CPU topology and crashes
# under qemu; without it, it warns that CPU features are undetected (irrelevant to correctness).
mount --bind /proc "$ROOT/proc" 2>/dev/null || true
chroot "$ROOT" /usr/bin/env MODELS="$MODELS" /bin/bash /opt/run.sh | tee "$OUT/arm64_run.txt"
umount "$ROOT/proc" 2>/dev/null || true
cp -r "$ROOT/opt/out/." "$OUT/"

echo "== compare x86_64 and aarch64"
"$PY" "$REPO/scripts/pi/compare_runs.py" "$OUT"

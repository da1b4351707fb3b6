#!/usr/bin/env bash
# `lab bench kernels` and `lab bench model --shape` for every known shape on a machine without Node
# (the lent GPU machine, ../shared/docs/GPU.md), as JSON files.
#
#   bash scripts/gpu/bench-shapes.sh prepare        here: .gpu/ holds node, the bundled CLI and Dawn
#   bash scripts/gpu/bench-shapes.sh run OUT [ARGS] there (carry .gpu and .gl): OUT/<shape>.json,
#                                                    OUT/kernels.json, OUT/info.json, OUT/log.txt
#
# ARGS go to every `bench model --shape` (say `--layers 1 --batch 1 --seq 16` to try the script on
# SwiftShader). On a GPU each shape runs twice: once at one layer, to autotune the matmul kernels
# for its shape classes (the picks are kept in OUT/autotune.json), then at the size asked for.
set -euo pipefail
cd "$(dirname "$0")/../.."
SHAPES=(smollm2-135m smollm2-360m qwen2.5-0.5b qwen3-0.6b llama-3.2-1b)

prepare() {
  local exclude
  exclude=$(git rev-parse --git-path info/exclude)
  mkdir -p "$(dirname "$exclude")" .gpu/cli .gpu/node_modules/webgpu
  grep -qx '/.gpu/' "$exclude" 2>/dev/null || echo '/.gpu/' >>"$exclude"
  # Two folders down, so the bundle's ../../shaders and ../../public are the repository's.
  npx esbuild src/cli/main.ts --bundle --platform=node --format=esm --external:webgpu \
    --banner:js="import { createRequire as labCreateRequire } from 'node:module'; const require = labCreateRequire(import.meta.url);" \
    --log-level=warning --outfile=.gpu/cli/lab.mjs
  # Node finds `webgpu` in .gpu/node_modules, a folder up from the bundle.
  cp node_modules/webgpu/index.js node_modules/webgpu/package.json .gpu/node_modules/webgpu/
  mkdir -p .gpu/node_modules/webgpu/dist
  cp -r node_modules/webgpu/dist/linux-x64 .gpu/node_modules/webgpu/dist/
  xz -T2 -6 -c "$(command -v node)" >.gpu/node.xz
  du -sh .gpu
}

run() {
  local out=$1
  shift
  mkdir -p "$out"
  if [ -d .gl ]; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  local node=node
  if [ -f .gpu/node.xz ]; then
    trap 'rm -f /tmp/lab-node-$$' EXIT
    xz -dc .gpu/node.xz >/tmp/lab-node-$$
    chmod +x /tmp/lab-node-$$
    node=/tmp/lab-node-$$
  fi
  export LAB_AUTOTUNE_CACHE="$out/autotune.json"
  local lab=("$node" .gpu/cli/lab.mjs)
  if ! "${lab[@]}" info >"$out/info.json" 2>>"$out/log.txt"; then
    # Dawn found no Vulkan driver by itself: name NVIDIA's.
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    "${lab[@]}" info >"$out/info.json" 2>>"$out/log.txt"
  fi
  cat "$out/info.json"
  "${lab[@]}" bench kernels --json >"$out/kernels.json" 2>>"$out/log.txt" || echo "bench kernels failed (see log.txt)"
  for shape in "${SHAPES[@]}"; do
    echo "== $shape" | tee -a "$out/log.txt"
    # SwiftShader keeps its one matmul kernel: nothing to tune there.
    if ! grep -q '"swiftshader"' "$out/info.json"; then
      "${lab[@]}" bench model --shape "$shape" --layers 1 --batch 1 --seq 16 --prompts 1 --generations 2 --completion-tokens 4 \
        >/dev/null 2>>"$out/log.txt" || echo "$shape: the tuning run failed (see log.txt)"
    fi
    "${lab[@]}" bench model --shape "$shape" --json "$@" >"$out/$shape.json" 2>>"$out/log.txt" || echo "$shape failed (see log.txt)"
  done
}

case "${1:-}" in
  prepare) prepare ;;
  run)
    [ $# -ge 2 ] || { echo "usage: $0 run OUT [bench model options]" >&2; exit 2; }
    shift
    run "$@"
    ;;
  *)
    echo "usage: $0 prepare | run OUT [bench model options]" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Installs what attnscope needs to build, run and test, on Debian 12 / Ubuntu 22.04 or newer.
# Only missing packages are installed; `apt-get update` runs first when anything is missing.
# Works as root (no sudo needed) and as a normal user (through sudo).
set -euo pipefail

# The one list of dependencies, by Debian package name.
PACKAGES=(
    build-essential cmake pkg-config    # compiler and build
    libsdl2-dev libsdl2-ttf-dev         # window, events, glyphs
    libopenblas-dev                     # cblas_sgemm
    libcmocka-dev                       # unit tests
    libpng-dev                          # PNG export
    zlib1g-dev                          # CRC-32 for NPZ archives (T5 dumps)
    libjansson-dev                      # JSON in and out
    libutf8proc-dev                     # Unicode categories, normalisation, case folding
    libpcre2-dev                        # tokenizer pre-split regexes
    libfontconfig-dev fonts-dejavu-core # finding the UI font
    libfribidi-dev                      # right-to-left text (Arabic, Hebrew) in visual order
    fonts-noto-cjk fonts-noto-core      # fallback glyphs: Chinese, Japanese, Korean, Indic, ...
    fonts-symbola                       # fallback glyphs: emoji and symbols
    libxml2-dev                         # tests parse exported SVG with a real XML parser
    python3-numpy                       # tests: quantized models (../shared/tools), families' references (tests/reference)
    xvfb xauth xdotool imagemagick      # the window test: virtual display, typing, screenshots
    xclip                               # the GUI soak (bench/gui_soak.py) pastes through it
    clang libclang-rt-14-dev            # the fuzz preset: clang's libFuzzer (and ASan for it)
    python3                             # fuzz/make_corpus.py, bench/gui_soak.py
)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#PACKAGES[@]} packages present"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "setup: need root or sudo to install: ${missing[*]}" >&2
    exit 1
fi

echo "setup: installing ${missing[*]}"
"${SUDO[@]}" apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Regenerates the shipped voice prompts: prompts/<lang>/<name>.wav, 8 kHz mono 16-bit PCM,
# from the texts in prompts/texts.tsv (language<TAB>name<TAB>text), spoken by espeak-ng with
# the voice named by the language code and converted by sox.
#
#   scripts/make-prompts.sh            # every language in texts.tsv
#   scripts/make-prompts.sh ru         # only the listed languages
#   SPEED=140 scripts/make-prompts.sh  # words per minute (default 150)
#
# Each language directory is rebuilt whole, so a prompt removed from texts.tsv disappears.
# To add a language: add its lines to texts.tsv (the code must be an espeak-ng voice, see
# `espeak-ng --voices`), run this, and teach crates/media/src/audio the language.
# Needs: espeak-ng and sox (Debian/Ubuntu: apt-get install espeak-ng sox).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
texts="$root/prompts/texts.tsv"
speed="${SPEED:-150}"

for tool in espeak-ng sox; do
    command -v "$tool" >/dev/null || { echo "make-prompts: $tool is not installed" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

wanted=("$@")
is_wanted() {
    [ ${#wanted[@]} -eq 0 ] && return 0
    local lang
    for lang in "${wanted[@]}"; do [ "$lang" = "$1" ] && return 0; done
    return 1
}

count=0
while IFS=$'\t' read -r lang name text; do
    case "$lang" in '' | '#'*) continue ;; esac
    is_wanted "$lang" || continue
    if [ -z "$name" ] || [ -z "$text" ]; then
        echo "make-prompts: bad line in $texts: $lang $name" >&2
        exit 1
    fi
    mkdir -p "$work/$lang"
    espeak-ng -v "$lang" -s "$speed" -w "$work/speech.wav" "$text"
    # Trim leading and trailing silence (the reverse trick trims the end), resample to 8 kHz
    # with sox's high-quality filter, normalise the peak to -3 dBFS so prompts play at one
    # level, and leave a short pause either side so words joined into a phrase do not run
    # together. No dither: G.711 quantises far more coarsely anyway.
    sox -D -V1 "$work/speech.wav" -b 16 -e signed-integer "$work/$lang/$name.wav" \
        silence 1 0.01 0.1% reverse silence 1 0.01 0.1% reverse \
        channels 1 rate -h 8000 gain -n -3 pad 0.03 0.07
    count=$((count + 1))
done <"$texts"

if [ "$count" -eq 0 ]; then
    echo "make-prompts: no prompts for: ${wanted[*]:-any language}" >&2
    exit 1
fi

for dir in "$work"/*/; do
    lang="$(basename "$dir")"
    rm -rf "${root:?}/prompts/$lang"
    mv "$dir" "$root/prompts/$lang"
    echo "prompts/$lang: $(find "$root/prompts/$lang" -name '*.wav' | wc -l) prompts"
done

#!/usr/bin/env bash
# The `heed` command from the outside: every misuse ends with exactly one line "heed: error: ..."
# on stderr and the documented exit status (2 for a wrong command line, 1 for a failure while
# running), never a crash; then a tiny run end to end: heed task, heed train on the copy task,
# heed translate (arguments, stdin, attention SVG) and heed eval, checking every promised file;
# then heed bench (one step of the tiny Transformer); then Ctrl-C during training (exit status
# 130, a checkpoint) and --resume; then faults while saving checkpoints (a folder that takes no
# files, a full disk through HEED_FAULT_WRITE, a file-size limit, a process killed mid-save): one
# error line, the last checkpoint whole, --resume.
#
#   tests/cli/check_cli.sh build/bin/heed          (ctest runs it as the test "cli")
set -u
HEED=${1:?usage: check_cli.sh PATH_TO_HEED}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/heed_cli_test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# expect_error STATUS PATTERN ARGS...: heed ARGS exits with STATUS and prints one stderr line
# "heed: error: ..." matching PATTERN (an extended regular expression).
expect_error() {
  local status=$1 pattern=$2
  shift 2
  "$HEED" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
  local got=$?
  local lines
  lines=$(wc -l <"$WORK/err")
  if [ "$got" -ne "$status" ]; then
    fail "heed $* exited with $got, expected $status; stderr: $(head -c 400 "$WORK/err")"
  elif [ "$lines" -ne 1 ]; then
    fail "heed $* wrote $lines lines to stderr, expected 1: $(head -c 400 "$WORK/err")"
  elif ! grep -Eq "^heed: error: .*($pattern)" "$WORK/err"; then
    fail "heed $*: stderr '$(cat "$WORK/err")' does not match 'heed: error: ...$pattern'"
  fi
}

# expect_ok ARGS...: heed ARGS succeeds (stdout in $WORK/out).
expect_ok() {
  if ! "$HEED" "$@" >"$WORK/out" 2>"$WORK/err"; then
    fail "heed $* failed: $(head -c 600 "$WORK/err")"
    return 1
  fi
}

expect_file() {
  [ -s "$1" ] || fail "$1 is missing or empty"
}

# ---- misuse ----
printf 'a b\tb a\nno tab here\n' >"$WORK/bad.tsv"
printf 'a b\tb a\n' >"$WORK/one.tsv"
mkdir -p "$WORK/half_model"
echo '{}' >"$WORK/half_model/config.json"

expect_error 2 "no command" 
expect_error 2 "unknown command 'frobnicate'" frobnicate
expect_error 2 "not expected|--frobnicate" train --task copy --frobnicate --out "$WORK/x"
expect_error 1 "nosuch" train --task nosuch --out "$WORK/x"
expect_error 2 "--task NAME, or --train" train --out "$WORK/x"
expect_error 2 "--out" train --task copy
expect_error 2 "--steps must be at least 1" train --task copy --steps -1 --out "$WORK/x"
expect_error 2 "--steps must be at least 1" train --task copy --steps 0 --out "$WORK/x"
expect_error 2 "steps" train --task copy --steps many --out "$WORK/x"
expect_error 2 "--heads \(3\) must divide --d-model \(128\)" train --task copy --heads 3 --out "$WORK/x"
expect_error 2 "--heads must be at least 1" train --task copy --heads 0 --out "$WORK/x"
expect_error 2 "--heads does not apply to --model lstm" train --task copy --model lstm --heads 4 --out "$WORK/x"
expect_error 2 "--hidden does not apply" train --task copy --hidden 64 --out "$WORK/x"
expect_error 2 "--model" train --task copy --model gru --out "$WORK/x"
expect_error 2 "--beam must be at least 1" train --task copy --beam 0 --out "$WORK/x"
expect_error 2 "--lr must be positive" train --task copy --lr 0 --out "$WORK/x"
expect_error 2 "--dropout must be in" train --task copy --dropout 1.5 --out "$WORK/x"
expect_error 2 "--label-smoothing" train --task copy --label-smoothing -0.1 --out "$WORK/x"
expect_error 2 "--eval-every must be >= 0" train --task copy --eval-every -3 --out "$WORK/x"
expect_error 2 "--task cannot be combined" train --task copy --train "$WORK/one.tsv" --out "$WORK/x"
expect_error 2 "missing.tsv: no such file" train --train "$WORK/missing.tsv" --valid "$WORK/one.tsv" --out "$WORK/x"
expect_error 1 "bad.tsv:2" train --train "$WORK/bad.tsv" --valid "$WORK/one.tsv" --out "$WORK/x"
expect_error 2 "--model" translate "a b"
expect_error 1 "no such directory" translate --model "$WORK/nowhere" "a b"
expect_error 2 "--beam must be at least 1" translate --model "$WORK/half_model" --beam 0 "a b"
expect_error 1 "model.safetensors|vocab|field" translate --model "$WORK/half_model" "a b"
expect_error 2 "--layer needs --attention-svg" translate --model "$WORK/half_model" --layer 0 "a b"
expect_error 2 "--test" eval --model "$WORK/half_model"
expect_error 2 "missing.tsv: no such file" eval --model "$WORK/half_model" --test "$WORK/missing.tsv"
expect_error 1 "no such directory" eval --model "$WORK/nowhere" --test "$WORK/one.tsv"
expect_error 1 "nosuch" task nosuch --out "$WORK/x"
expect_error 2 "--out" task copy
expect_error 2 "holds no checkpoint" train --task copy --resume --out "$WORK/empty"
expect_error 2 "--keep-checkpoints must be at least 1" train --task copy --keep-checkpoints 0 --out "$WORK/x"
expect_error 2 "--pitfall" train --task copy --pitfall no-such-bug --out "$WORK/x"
expect_error 2 "--pitfall no-warmup sets the warmup" train --task copy --pitfall no-warmup --warmup 10 --out "$WORK/x"
expect_error 2 "--pitfall does not apply to --model lstm" train --task copy --model lstm --pitfall no-scale --out "$WORK/x"
expect_error 2 "LABEL=PATH" plot --out "$WORK/x.svg" just-a-path
expect_error 2 "workload|huge" bench huge
expect_error 2 "needs --config tiny, small or base" bench transformer
expect_error 2 "needs --config tiny, small or base \(got 'huge'\)" bench transformer --config huge
expect_error 2 "--config is for heed bench transformer" bench lstm --config tiny
expect_error 2 "--steps must be >= 1" bench transformer --config tiny --steps 0
expect_error 2 "--warmup must be >= 0" bench lstm --warmup -1

if ! "$HEED" --help >"$WORK/out" 2>&1 || ! grep -q "train" "$WORK/out"; then fail "heed --help"; fi
if ! "$HEED" train --help >"$WORK/out" 2>&1 || ! grep -q -- "--d-model" "$WORK/out"; then fail "heed train --help"; fi

# ---- end to end ----
if expect_ok tasks; then
  grep -q "^copy " "$WORK/out" || fail "heed tasks does not list copy: $(cat "$WORK/out")"
fi
expect_ok task copy --out "$WORK/copy" --train-size 200 --valid-size 40 --test-size 40
for split in train valid test; do expect_file "$WORK/copy/$split.tsv"; done

RUN="$WORK/run"
if expect_ok train --task copy --train-size 200 --valid-size 40 --test-size 40 --steps 30 --d-model 32 --heads 2 \
    --layers 1 --ff 64 --warmup 10 --eval-every 15 --log-every 10 --clip 0 --out "$RUN"; then
  grep -q "exact_match=" "$WORK/out" || fail "heed train printed no final score: $(tail -3 "$WORK/out")"
  grep -q "valid at step 15" "$WORK/out" || fail "heed train printed no validation at step 15"
  grep -q "^step 10/30" "$WORK/out" || fail "heed train printed no plain log line for step 10"
fi
for file in model.safetensors config.json vocab.src.txt vocab.tgt.txt metrics.csv training.svg; do
  expect_file "$RUN/$file"
done
[ "$(head -1 "$RUN/metrics.csv" 2>/dev/null)" = "step,train_loss,lr,tokens_per_s,valid_loss,bleu,exact_match" ] ||
  fail "metrics.csv header"

# A pitfall run: announced, saved in config.json, and plotted beside the right run by heed plot.
LEAK="$WORK/leak"
if expect_ok train --task copy --train-size 200 --valid-size 40 --test-size 40 --steps 10 --d-model 32 --heads 2 \
    --layers 1 --ff 64 --pitfall no-warmup --eval-every 5 --log-every 5 --out "$LEAK"; then
  grep -q "PITFALL   no-warmup" "$WORK/out" || fail "heed train --pitfall printed no PITFALL line"
  grep -q "peak lr 0.001 after 0 warmup steps (cosine)" "$WORK/out" || fail "--pitfall no-warmup: $(grep training "$WORK/out")"
  grep -q '"pitfall": "no-warmup"' "$LEAK/config.json" || fail "config.json has no pitfall: $(cat "$LEAK/config.json")"
fi
if expect_ok train --task copy --train-size 200 --valid-size 40 --test-size 40 --steps 2 --d-model 32 --heads 2 \
    --layers 1 --ff 64 --pitfall post-norm-high-lr --eval-every 0 --out "$WORK/postnorm"; then
  grep -q "post-norm" "$WORK/out" || fail "--pitfall post-norm-high-lr: $(grep model "$WORK/out")"
  grep -q "peak lr 0.01 " "$WORK/out" || fail "--pitfall post-norm-high-lr: $(grep training "$WORK/out")"
fi
if expect_ok plot --out "$WORK/compare.svg" --title copy "right=$RUN" "broken=$LEAK/metrics.csv"; then
  [ "$(grep -c 'class="series"' "$WORK/compare.svg")" -ge 4 ] || fail "heed plot drew too few lines"
fi

SOURCE=$(head -1 "$WORK/copy/test.tsv" | cut -f1)
if expect_ok translate --model "$RUN" "$SOURCE"; then
  [ "$(wc -l <"$WORK/out")" -eq 1 ] || fail "heed translate printed $(wc -l <"$WORK/out") lines for one sentence"
fi
if printf '%s\n%s\n\n' "$SOURCE" "$SOURCE" | "$HEED" translate --model "$RUN" --beam 3 >"$WORK/out" 2>"$WORK/err"; then
  [ "$(wc -l <"$WORK/out")" -eq 3 ] || fail "heed translate printed $(wc -l <"$WORK/out") lines for three stdin lines"
else
  fail "heed translate from stdin: $(cat "$WORK/err")"
fi
expect_ok translate --model "$RUN" --attention-svg "$WORK/attention.svg" "$SOURCE" && expect_file "$WORK/attention.svg"
expect_ok translate --model "$RUN" --attention-svg "$WORK/head.svg" --layer 0 --head 1 "$SOURCE" && expect_file "$WORK/head.svg"
grep -q "<svg" "$WORK/attention.svg" 2>/dev/null || fail "attention.svg is not SVG"
expect_error 2 "--layer 1 is out of range" translate --model "$RUN" --attention-svg "$WORK/a.svg" --layer 1 "$SOURCE"
expect_error 2 "--head 2 is out of range" translate --model "$RUN" --attention-svg "$WORK/a.svg" --head 2 "$SOURCE"
if expect_ok eval --model "$RUN" --test "$WORK/copy/test.tsv" --beam 2; then
  grep -Eq '^exact_match=[0-9]+\.[0-9]{2} bleu=[0-9]+\.[0-9]{2} token_accuracy=[0-9]+\.[0-9]{2}$' "$WORK/out" ||
    fail "heed eval printed '$(cat "$WORK/out")'"
fi

# A model directory missing one file.
cp -r "$RUN" "$WORK/broken"
rm "$WORK/broken/vocab.tgt.txt"
expect_error 1 "vocab.tgt.txt: no such file" translate --model "$WORK/broken" "$SOURCE"
expect_error 1 "vocab.tgt.txt: no such file" eval --model "$WORK/broken" --test "$WORK/copy/test.tsv"

# ---- heed bench: one step of the tiny Transformer, no warm-up, prints its one line ----
if expect_ok bench transformer --config tiny --steps 1 --warmup 0; then
  grep -Eq '^tiny: params=1311208 step_median_s=[0-9.]+ min=[0-9.]+ tokens_per_s=[0-9]+ peak_rss_mib=[0-9]+ loss=[0-9.]+$' \
    "$WORK/out" || fail "heed bench transformer printed '$(cat "$WORK/out")'"
fi

# ---- Ctrl-C, then --resume ----
STOP="$WORK/stop"
TINY=(train --task copy --train-size 200 --valid-size 20 --test-size 20 --d-model 32 --heads 2 --layers 1 --ff 64
      --warmup 10 --eval-every 0 --log-every 1 --out "$STOP")
"$HEED" "${TINY[@]}" --steps 100000 >"$WORK/stop.out" 2>"$WORK/stop.err" &
pid=$!
for _ in $(seq 1 600); do
  grep -q "^step " "$WORK/stop.out" && break
  sleep 0.1
done
kill -INT "$pid"
wait "$pid"
status=$?
stopped_at=$(sed -n 's/^interrupted at step \([0-9]*\): checkpoint saved in .*--resume$/\1/p' "$WORK/stop.out")
if [ "$status" -ne 130 ]; then
  fail "heed train after SIGINT exited with $status, expected 130: $(tail -c 400 "$WORK/stop.err")"
elif [ -z "$stopped_at" ]; then
  fail "heed train after SIGINT printed no 'interrupted at step N' line: $(tail -3 "$WORK/stop.out")"
else
  expect_file "$STOP/checkpoint-$stopped_at.safetensors"
  # The stopped run's model translates, with a warning that it holds an early step's weights.
  if expect_ok translate --model "$STOP" "a b"; then
    grep -q "^heed: warning: $STOP holds the weights of step $stopped_at of 100000 (its training run stopped early)" \
      "$WORK/err" || fail "heed translate on a stopped run's model did not warn: '$(cat "$WORK/err")'"
  fi
  expect_error 2 "model options differ" "${TINY[@]}" --activation gelu --steps $((stopped_at + 3)) --resume
  expect_error 1 "made with lr 0.001, this run has lr 0.002" "${TINY[@]}" --lr 0.002 --steps $((stopped_at + 3)) --resume
  if expect_ok "${TINY[@]}" --steps $((stopped_at + 3)) --resume; then
    grep -q "resume    from step $stopped_at" "$WORK/out" || fail "heed train --resume did not say where it resumed"
    grep -q "^step $((stopped_at + 3))/" "$WORK/out" || fail "heed train --resume did not reach step $((stopped_at + 3))"
    grep -q "exact_match=" "$WORK/out" || fail "heed train --resume printed no final score"
    expect_file "$STOP/checkpoint-$((stopped_at + 3)).safetensors"
    if expect_ok translate --model "$STOP" "a b"; then
      [ ! -s "$WORK/err" ] || fail "heed translate on a finished run's model wrote to stderr: '$(cat "$WORK/err")'"
    fi
  fi
fi

# ---- faults while saving checkpoints ----
expect_error 1 "--out: /proc/self: cannot create files in this folder" train --task copy --out /proc/self
echo x >"$WORK/a_file"
expect_error 2 "--out $WORK/a_file/run: cannot create the directory" train --task copy --out "$WORK/a_file/run"
FAULT="$WORK/fault"
FAULTY=(train --task copy --train-size 100 --valid-size 10 --test-size 10 --d-model 16 --heads 2 --layers 1 --ff 32
        --warmup 2 --eval-every 0 --log-every 1 --checkpoint-every 2 --keep-checkpoints 1 --out "$FAULT")
temporaries() { find "$FAULT" -name '*.tmp-*' | wc -l; }
# expect_resumed FROM TO: --resume goes on from checkpoint FROM to step TO and leaves no temporary.
expect_resumed() {
  if expect_ok "${FAULTY[@]}" --steps "$2" --resume; then
    grep -q "resume    from step $1 " "$WORK/out" || fail "heed train --resume did not resume from step $1: $(grep resume "$WORK/out")"
    expect_file "$FAULT/checkpoint-$2.safetensors"
    [ "$(temporaries)" -eq 0 ] || fail "temporaries left in $FAULT after a successful save: $(ls "$FAULT")"
  fi
}
# The second checkpoint meets a full disk: the first stays, whole, and resumes.
export HEED_FAULT_WRITE="enospc-after=100,match=checkpoint-,skip=1"
expect_error 1 "checkpoint-4.safetensors: writing failed: No space left on device" "${FAULTY[@]}" --steps 6
unset HEED_FAULT_WRITE
[ -e "$FAULT/checkpoint-4.safetensors" ] && fail "a checkpoint that met a full disk is in $FAULT"
expect_resumed 2 4
# Killed in the middle of writing the checkpoint of step 8 (after that of step 6).
HEED_FAULT_WRITE="abort-after=3000,match=checkpoint-,skip=1" "$HEED" "${FAULTY[@]}" --steps 8 --resume \
  >"$WORK/out" 2>"$WORK/err"
status=$?
[ "$status" -eq 86 ] || fail "heed train killed mid-save exited with $status, expected 86: $(head -c 400 "$WORK/err")"
[ "$(temporaries)" -eq 1 ] || fail "the killed save left $(temporaries) temporaries, expected 1: $(ls "$FAULT")"
expect_resumed 6 8
# A file-size limit (ulimit -f, in KiB): the checkpoint of step 10 is too large, that of step 8 stays.
(
  failures=0
  ulimit -f 8
  expect_error 1 "checkpoint-10.safetensors: writing failed: File too large" "${FAULTY[@]}" --steps 10 --resume
  exit "$failures"
) || failures=$((failures + 1))
expect_resumed 8 10

# ---- issue 15: run-level faults of heed train, translate and eval ----
# A size of 0 is refused like a negative one, never read as "the default".
for option in --layers --d-model --heads --ff --max-positions; do
  expect_error 2 "$option must be at least 1 \(got 0\)" train --task copy $option 0 --out "$WORK/x"
done
for option in --layers --embedding --hidden; do
  expect_error 2 "$option must be at least 1 \(got 0\)" train --task copy --model lstm $option 0 --out "$WORK/x"
done

SMALL=(--task copy --train-size 100 --valid-size 10 --test-size 10 --d-model 16 --heads 2 --layers 1 --ff 32 --log-every 1)

# Decoding stops at the model's last position: validation and translate never run past the
# table of --max-positions (the default limit, 2·S + 10, would).
if expect_ok train "${SMALL[@]}" --steps 4 --eval-every 2 --max-positions 12 --out "$WORK/short"; then
  grep -q "valid at step 2" "$WORK/out" || fail "--max-positions 12: no validation at step 2"
  expect_file "$WORK/short/checkpoint-4.safetensors"
  expect_ok translate --model "$WORK/short" "a b c d e"
  expect_error 1 "sources of 13 tokens.*at most 12 positions" translate --model "$WORK/short" "a b c d e f g h i j k l m"
fi

# --steps may be raised on --resume: the default warmup stays the first run's (a tenth of ITS steps).
if expect_ok train "${SMALL[@]}" --steps 20 --eval-every 0 --out "$WORK/raise"; then
  if expect_ok train "${SMALL[@]}" --steps 30 --eval-every 0 --out "$WORK/raise" --resume; then
    grep -q "after 2 warmup steps" "$WORK/out" || fail "--resume --steps 30 changed the warmup: $(grep training "$WORK/out")"
    grep -q "^step 30/30" "$WORK/out" || fail "--resume --steps 30 did not reach step 30"
  fi
  expect_error 1 "made with warmup 2, this run has warmup 5" train "${SMALL[@]}" --steps 40 --warmup 5 --eval-every 0 \
    --out "$WORK/raise" --resume
fi

# A fresh run does not replace a model without --overwrite; killed while replacing it, it leaves
# no mix of the old config.json and the new weights.
REPLACE="$WORK/replace"
if expect_ok train "${SMALL[@]}" --steps 2 --eval-every 0 --out "$REPLACE"; then
  expect_error 2 "--out $REPLACE already holds a model.*--overwrite" train "${SMALL[@]}" --steps 2 --out "$REPLACE"
  expect_error 2 "--overwrite starts a new run" train "${SMALL[@]}" --steps 4 --out "$REPLACE" --resume --overwrite
  expect_ok translate --model "$REPLACE" "a b"  # still the old model
  HEED_FAULT_WRITE="abort-before-rename,match=vocab.src" "$HEED" train "${SMALL[@]}" --tie-output --steps 2 \
    --overwrite --out "$REPLACE" >"$WORK/out" 2>"$WORK/err"
  status=$?
  [ "$status" -eq 86 ] || fail "heed train killed while replacing a model exited with $status: $(head -c 400 "$WORK/err")"
  expect_error 1 "config.json: no such file" translate --model "$REPLACE" "a b"
  expect_ok train "${SMALL[@]}" --tie-output --steps 2 --overwrite --out "$REPLACE" && expect_ok translate --model "$REPLACE" "a b"
fi

# Two runs into one --out: the second is refused at once, naming the folder and the first's pid.
LOCKED="$WORK/locked"
"$HEED" train "${SMALL[@]}" --steps 100000 --eval-every 0 --out "$LOCKED" >"$WORK/locked.out" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  grep -q "^step " "$WORK/locked.out" && break
  sleep 0.1
done
expect_error 1 "$LOCKED is in use by another training run \(pid $pid," train "${SMALL[@]}" --steps 2 --overwrite --out "$LOCKED"
expect_error 1 "$LOCKED is in use by another training run \(pid $pid," train "${SMALL[@]}" --steps 2 --resume --out "$LOCKED"
kill -INT "$pid"
wait "$pid"
[ $? -eq 130 ] || fail "the first run into $LOCKED did not end with status 130 after SIGINT: $(tail -3 "$WORK/locked.out")"

# Invalid UTF-8 on translate's standard input: the lines before it are translated, then one error
# names the line and the byte.
if printf 'a b\nb a\nc \xff d\na\n' | "$HEED" translate --model "$WORK/short" >"$WORK/out" 2>"$WORK/err"; then
  fail "heed translate accepted invalid UTF-8 on standard input"
else
  [ "$(wc -l <"$WORK/out")" -eq 2 ] || fail "heed translate printed $(wc -l <"$WORK/out") lines before the bad one, expected 2"
  grep -q "^heed: error: .*standard input, line 3: invalid UTF-8 at byte 2" "$WORK/err" ||
    fail "heed translate on invalid UTF-8: $(cat "$WORK/err")"
fi

# ---- limits and bad inputs (issue 15) ----
# A metrics.csv cell that is not a number: the error names the file, the line and the column.
printf 'step,train_loss\n10,2.5\n20,abc\n' >"$WORK/bad_metrics.csv"
expect_error 1 "bad_metrics.csv:3: column 2 \(train_loss\) is \"abc\"; expected a number" \
  plot --out "$WORK/x.svg" "a=$WORK/bad_metrics.csv"
# A metrics.csv with CRLF line ends (saved by a spreadsheet) plots both columns, the last one too.
printf 'step,train_loss,valid_loss\r\n10,2.5,2.4\r\n20,2.0,1.9\r\n' >"$WORK/crlf_metrics.csv"
if expect_ok plot --out "$WORK/crlf.svg" "a=$WORK/crlf_metrics.csv"; then
  [ "$(grep -c 'class="series"' "$WORK/crlf.svg")" -eq 2 ] || fail "heed plot of a CRLF metrics.csv drew $(grep -c 'class="series"' "$WORK/crlf.svg") lines, expected 2"
fi

# heed plot reads regular files only: /dev/zero would be read for ever, a FIFO would block.
expect_error 2 "run a: /dev/zero: not a regular file" plot --out "$WORK/x.svg" a=/dev/zero
mkfifo "$WORK/fifo"
printf 'x\n' >"$WORK/fifo" &  # lets a reader that opens the FIFO go on instead of blocking
writer=$!
expect_error 2 "run a: $WORK/fifo: not a regular file" plot --out "$WORK/x.svg" "a=$WORK/fifo"
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
# Memory that runs out: one error naming the size, never a crash (a 30000 x 30000 matrix is 3.6 GB).
(
  failures=0
  ulimit -v 1500000
  expect_error 1 "allocating 3600000000 bytes failed: out of memory" bench sgemm --size 30000 --steps 1
  exit "$failures"
) || failures=$((failures + 1))
# Sizes checked before anything is allocated: a model too large for the memory (a fresh one, or
# a model directory whose config.json asks for more than its weights hold), a beam too wide, a
# task's split too large.
expect_error 1 "make_model: .*d_model 1000000000" train --task copy --train-size 20 \
  --valid-size 5 --test-size 5 --d-model 1000000000 --heads 2 --out "$WORK/huge_model"
for field in num_encoder_layers d_model; do
  rm -rf "$WORK/huge_dir" && cp -r "$RUN" "$WORK/huge_dir"
  sed -i "s/\"$field\": [0-9]*/\"$field\": 1000000000/" "$WORK/huge_dir/config.json"
  (
    failures=0
    ulimit -v 1500000
    expect_error 1 "$field(\"? is)? 1000000000" translate --model "$WORK/huge_dir" "$SOURCE"
    exit "$failures"
  ) || failures=$((failures + 1))
done
expect_error 2 "--beam must be at most 100 \(got 1000000\)" translate --model "$RUN" --beam 1000000 "$SOURCE"
expect_error 1 "task 'copy': train 100000000000 .* pairs would take about .* GiB" task copy --out "$WORK/huge_task" \
  --train-size 100000000000

# OpenBLAS maps a 128 MiB buffer per thread and per calling thread; where an address-space limit
# leaves no room, it would spin for ever inside its allocator: heed refuses first, at once.
printf '#!/bin/sh\nexec timeout -s KILL 20 "%s" "$@"\n' "$HEED" >"$WORK/heed_within_20s"
chmod +x "$WORK/heed_within_20s"
(
  failures=0
  HEED="$WORK/heed_within_20s"
  ulimit -v 300000
  expect_error 1 "OpenBLAS needs about [0-9]+ MiB of address space at start-up .*the limit \(ulimit -v\) is 293 MiB" \
    bench sgemm --size 256 --steps 2
  exit "$failures"
) || failures=$((failures + 1))

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all heed command checks passed"

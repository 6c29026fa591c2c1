#!/bin/sh
# Receive-and-archive: a storage SCP that files incoming instances by series date, and a sender
# that pushes a directory tree to it.  Uses examples/storescp.cfg (set PROFILE for another
# DCMTK-format profile file, e.g. /etc/dcmtk/storescp.cfg).
set -eu
PORT=${PORT:-11112}
ARCHIVE=${ARCHIVE:-./archive}
PROFILE=${PROFILE:-$(dirname "$0")/storescp.cfg}
mkdir -p "$ARCHIVE"

# Receiver: data/YYYY/MM/DD/<modality>_<16 hex>.dcm, several associations at once.
dcmrecv "$PORT" -xf "$PROFILE" Default -od "$ARCHIVE" --series-date-subdir +fsu -fe .dcm --max-associations 8 &
RECV=$!
trap 'kill $RECV; wait $RECV' EXIT INT TERM
sleep 1

# Sender: everything below the given directories, 4 associations in parallel, report file,
# non-zero exit code if anything was not stored successfully.
dcmsend +sd +r --parallel 4 --fail-on-error 127.0.0.1 "$PORT" "$@" +crf transfer-report.txt
echo "archived under $ARCHIVE; report in transfer-report.txt"

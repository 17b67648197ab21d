#!/bin/sh
# GET /: every counter as `key value`, one per line.
. /www/cgi-bin/lib.sh
printf 'Content-Type: text/plain\r\n\r\n'
echo "demo db: counters in $data_dir"
for file in "$data_dir"/*; do
    [ -f "$file" ] && echo "$(basename "$file") $(cat "$file")"
done
exit 0

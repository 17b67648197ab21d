#!/bin/sh
# GET /cgi-bin/hello (and /): greet, count the visit in the db through the legacy link
# `db`, and show the link environment variables the engine set for that link.
name="${WEB_NAME:-$(hostname)}"
visits="$(timeout 5 wget -qO- "http://db/cgi-bin/incr?key=$name" 2>/dev/null)" || visits="(db did not answer)"
printf 'Content-Type: text/plain\r\n\r\n'
echo "${GREETING:-Hello} from $name (container $(hostname))"
echo "  visits to $name counted by db: $visits"
echo "  link env: DB_PORT=${DB_PORT:-unset}"
echo "            DB_PORT_80_TCP_ADDR=${DB_PORT_80_TCP_ADDR:-unset} DB_PORT_80_TCP_PORT=${DB_PORT_80_TCP_PORT:-unset}"

#!/bin/sh
# GET /: the front door. Asks each web service, by its link name, for a greeting
# and puts the answers on one page. (`timeout 5 wget`, because busybox 1.35
# wget -T crashes.)
printf 'Content-Type: text/plain\r\n\r\n'
title="${SITE_TITLE:-envctl demo}"
echo "$title"
echo "$title" | sed 's/./=/g'
for backend in ${BACKENDS:-web1 web2}; do
    echo
    echo "[$backend]"
    timeout 5 wget -qO- "http://$backend/cgi-bin/hello" 2>/dev/null || echo "  ($backend did not answer)"
done
echo
echo "served by front (container $(hostname))"

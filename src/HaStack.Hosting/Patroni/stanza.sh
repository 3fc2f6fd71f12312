#!/bin/sh
# Creates this stack's pgBackRest stanza (the Patroni scope) in the repository, or checks it: idempotent, run on a
# primary by post_bootstrap.sh and on_role.sh. Until it exists, archive_command fails and PostgreSQL retries it.
# Refuses, with pgBackRest's reason, a repository that holds another cluster's stanza under this name.
set -eu
exec pgbackrest --stanza="$HASTACK_STANZA" --log-level-console=warn stanza-create

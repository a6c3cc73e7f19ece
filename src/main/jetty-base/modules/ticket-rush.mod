# ticket-rush: what a Jetty node needs besides the WAR. ./rush (and the deployment tests) copy
# this folder from the WAR's WEB-INF/jetty-base into each node's jetty.base and enable the module.

[description]
ticket-rush: Jetty's own error answers (URIs and headers it refuses before the webapp) as the
WAR's JSON errors, request headers up to what Nginx passes through, and the node's loopback
admin connector (rush.admin.port), the only one that serves /admin/*.

[depend]
server

[lib]
lib/ticket-rush/

[xml]
etc/ticket-rush.xml

[ini]
# One connection per request (the article's ab, a crowd of browsers): the selector accepts the
# connections itself instead of an acceptor thread that wakes it for each one, and no reserved
# threads wait on a semaphore to take its place (docs/node-cost.md: the A/B that chose this).
# ?= keeps a value given on the command line or in start.d.
jetty.http.acceptors?=0
jetty.threadPool.reservedThreads?=0

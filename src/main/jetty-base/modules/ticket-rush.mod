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

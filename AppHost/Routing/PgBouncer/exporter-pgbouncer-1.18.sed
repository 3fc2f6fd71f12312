s/'total_requests': (/'total_query_count': (/
s/'requests_total',/'queries_total',/
/'cl_waiting': (/i\        'sv_active': ('server_active_connections', "Server connections linked to a client"),\n        'sv_idle': ('server_idle_connections', "Server connections unused and immediately usable"),\n        'sv_used': ('server_used_connections', "Server connections idle longer than server_check_delay"),\n        'maxwait': ('max_wait_seconds', "Age of the oldest unserved client request"),

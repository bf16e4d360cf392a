/* The list of parts (dcmon/part.h), the one place that names them all: the kernel
 * walks it for their config sections and API endpoints.  Order is the order of their
 * keys in the config tables (and so of messages that list keys). */
#include "dcmon/part.h"

extern const struct dcmon_part pollers_part;   /* pollers/pollers_part.c */
extern const struct dcmon_part dashboard_part; /* dashboard/dashboard_part.c */
extern const struct dcmon_part alerting_part;  /* alerting/alerting_part.c */
extern const struct dcmon_part facility_part;  /* facility/api_facility.c */
extern const struct dcmon_part mqtt_part;      /* mqtt/mqtt_part.c */
extern const struct dcmon_part events_part;    /* events/events_part.c */
extern const struct dcmon_part accounts_part;  /* accounts/accounts_part.c */
extern const struct dcmon_part tenants_part;   /* tenants/tenants_part.c */
extern const struct dcmon_part reports_part;   /* reports/reports_part.c */
extern const struct dcmon_part northbound_part; /* northbound/nb_part.c */

const struct dcmon_part *const dcmon_parts[] = {
	&pollers_part,
	&dashboard_part,
	&alerting_part,
	&facility_part,
	&mqtt_part,
	&events_part,
	&accounts_part,
	&tenants_part,
	&reports_part,
	&northbound_part,
	NULL,
};

/*
 * agent_sim.c - many simulated host agents in one process, for
 * bench/nats_scale.sh: each follows one subnet (spoke-I/app) the way
 * pharos-agent does and notes when it sees a change, without a kernel.
 *
 *   -m nats   as pharos-agent --nats: a plain subscription per agent to
 *             pharos.state.spoke-I.app.*, and a catch-up (an ordered
 *             JetStream consumer, DeliverLastPerSubject) dropped once
 *             every agent holds its table; spread over -c connections;
 *   -m http   the HTTP path: table, then long-polled deltas
 *             (wait=30), with pharos-agent's backoff (0.5 s doubling to
 *             30 s) after a refusal; source addresses taken in turn from
 *             -b PREFIX1..PREFIXk (-k), as hosts would be.
 *
 * It prints "ready N" once every agent holds a table in which -p PREFIX
 * has -f next hops, then waits until every agent sees it with -t next
 * hops (or -T seconds pass) and prints one line per agent:
 * "seen EPOCH" (CLOCK_REALTIME) or "missed", then "done".
 *
 * Build: cc -O2 -o agent_sim agent_sim.c -lnats -lcurl -ljansson -lpthread
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <nats/nats.h>

struct sim_agent {
	int idx;
	bool ready; /* has seen `from` next hops */
	double seen; /* epoch it saw `to` next hops, 0: not yet */
	/* http */
	CURL *h;
	char *body;
	size_t blen;
	bool want_table;
	long long version;
	int fails;
	double next_try;
};

static struct {
	int n, conns, from, to, bind_k;
	const char *mode, *url, *prefix, *bind;
	double timeout;
	struct sim_agent *a;
	pthread_mutex_t mu;
	int n_ready, n_seen;
} S;

static double now_real(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Next hops of PREFIX (a VirtualNetworkGateway route) in a route list;
 * -1 when it is not there. */
static int nh_in(json_t *routes)
{
	size_t i;
	json_t *r;
	json_array_foreach(routes, i, r) {
		json_t *route = json_object_get(r, "route");
		if (route) /* a delta item */
			r = route;
		const char *p = json_string_value(json_object_get(r, "prefix"));
		const char *src = json_string_value(json_object_get(r, "source"));
		if (p && src && !strcmp(p, S.prefix) &&
		    !strcmp(src, "VirtualNetworkGateway"))
			return (int)json_array_size(json_object_get(r, "next_hop_ips"));
	}
	return -1;
}

static void observe(struct sim_agent *a, int nh)
{
	pthread_mutex_lock(&S.mu);
	if (!a->ready && nh == S.from) {
		a->ready = true;
		S.n_ready++;
	} else if (a->ready && !a->seen && nh == S.to) {
		a->seen = now_real();
		S.n_seen++;
	}
	pthread_mutex_unlock(&S.mu);
}

/* ------------------------------------------------------------ NATS */

static void msg_cb(natsConnection *nc, natsSubscription *sub, natsMsg *m,
		   void *closure)
{
	struct sim_agent *a = closure;
	(void)nc;
	(void)sub;
	json_t *o = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m),
			       0, NULL);
	if (o)
		observe(a, nh_in(json_object_get(o, "routes")));
	json_decref(o);
	natsMsg_Destroy(m);
}

static int run_nats(void)
{
	natsConnection **nc = calloc((size_t)S.conns, sizeof(*nc));
	jsCtx **js = calloc((size_t)S.conns, sizeof(*js));
	natsSubscription **subs = calloc((size_t)S.n, sizeof(*subs));
	natsSubscription **live = calloc((size_t)S.n, sizeof(*live));
	natsOptions *o;
	char subj[256];

	nats_SetMessageDeliveryPoolSize(4);
	if (natsOptions_Create(&o) != NATS_OK ||
	    natsOptions_SetURL(o, S.url) != NATS_OK ||
	    natsOptions_UseGlobalMessageDelivery(o, true) != NATS_OK ||
	    natsOptions_SetMaxPendingMsgs(o, 1 << 20) != NATS_OK)
		return 1;
	for (int c = 0; c < S.conns; c++)
		if (natsConnection_Connect(&nc[c], o) != NATS_OK ||
		    natsConnection_JetStream(&js[c], nc[c], NULL) != NATS_OK) {
			fprintf(stderr, "connect %d: %s\n", c, nats_GetLastError(NULL));
			return 1;
		}
	fprintf(stderr, "%d connections up\n", S.conns);
	for (int i = 0; i < S.n; i++) {
		jsSubOptions so;
		jsErrCode jerr = 0;
		jsSubOptions_Init(&so);
		so.Ordered = true;
		so.Config.DeliverPolicy = js_DeliverLastPerSubject;
		snprintf(subj, sizeof(subj), "pharos.state.spoke-%d.app.*", i);
		if (natsConnection_Subscribe(&live[i], nc[i % S.conns], subj,
					     msg_cb, &S.a[i]) != NATS_OK) {
			fprintf(stderr, "live %d: %s\n", i, nats_GetLastError(NULL));
			return 1;
		}
		if (js_Subscribe(&subs[i], js[i % S.conns], subj, msg_cb, &S.a[i],
				 NULL, &so, &jerr) != NATS_OK) {
			fprintf(stderr, "subscribe %d: %s\n", i, nats_GetLastError(NULL));
			return 1;
		}
	}
	fprintf(stderr, "%d consumers subscribed\n", S.n);
	double end = now_real() + S.timeout;
	bool said = false;
	for (;;) {
		pthread_mutex_lock(&S.mu);
		int r = S.n_ready, s = S.n_seen;
		pthread_mutex_unlock(&S.mu);
		if (!said && r == S.n) {
			/* the catch-up consumers go, as the agent drops its */
			for (int i = 0; i < S.n; i++) {
				natsSubscription_Unsubscribe(subs[i]);
				natsSubscription_Destroy(subs[i]);
			}
			fprintf(stderr, "catch-up consumers dropped\n");
			printf("ready %d\n", r);
			fflush(stdout);
			said = true;
			end = now_real() + S.timeout;
		}
		if ((said && s == S.n) || now_real() > end)
			break;
		usleep(2000);
	}
	if (!said)
		fprintf(stderr, "only %d of %d agents hold the route\n", S.n_ready,
			S.n);
	return said ? 0 : 1; /* subscriptions end with the process */
}

/* ------------------------------------------------------------ HTTP */

static size_t write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct sim_agent *a = arg;
	char *nb = realloc(a->body, a->blen + size * n + 1);
	if (!nb)
		return 0;
	a->body = nb;
	memcpy(a->body + a->blen, p, size * n);
	a->blen += size * n;
	a->body[a->blen] = 0;
	return size * n;
}

static void http_start(CURLM *m, struct sim_agent *a)
{
	char url[512], ip[64];
	if (a->want_table)
		snprintf(url, sizeof(url), "%s/api/v1/fabric/subnets/spoke-%d/app/table",
			 S.url, a->idx);
	else
		snprintf(url, sizeof(url),
			 "%s/api/v1/fabric/subnets/spoke-%d/app/deltas?after=%lld&wait=30",
			 S.url, a->idx, a->version);
	a->h = curl_easy_init();
	a->blen = 0;
	curl_easy_setopt(a->h, CURLOPT_URL, url);
	curl_easy_setopt(a->h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(a->h, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(a->h, CURLOPT_PRIVATE, a);
	curl_easy_setopt(a->h, CURLOPT_TIMEOUT, 45L);
	if (S.bind) {
		snprintf(ip, sizeof(ip), "%s%d", S.bind, 1 + a->idx % S.bind_k);
		curl_easy_setopt(a->h, CURLOPT_INTERFACE, ip);
	}
	curl_multi_add_handle(m, a->h);
}

static void http_done(CURLM *m, struct sim_agent *a, CURLcode rc)
{
	long status = 0;
	json_t *o = NULL;
	curl_easy_getinfo(a->h, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(m, a->h);
	curl_easy_cleanup(a->h);
	a->h = NULL;
	if (rc == CURLE_OK && status == 200)
		o = json_loads(a->body ? a->body : "", 0, NULL);
	if (!o) {
		double b = 0.5;
		for (int i = 0; i < a->fails && b < 30; i++)
			b *= 2;
		a->fails++;
		a->next_try = now_real() + (b > 30 ? 30 : b);
		if (status == 410)
			a->want_table = true;
		return;
	}
	a->fails = 0;
	a->next_try = 0;
	a->version = json_integer_value(json_object_get(o, "version"));
	if (a->want_table) {
		a->want_table = false;
		observe(a, nh_in(json_object_get(o, "routes")));
	} else {
		int nh = nh_in(json_object_get(o, "deltas"));
		if (nh >= 0)
			observe(a, nh);
	}
	json_decref(o);
}

static int run_http(void)
{
	CURLM *m = curl_multi_init();
	bool said = false;
	double end = now_real() + S.timeout * 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (int i = 0; i < S.n; i++)
		S.a[i].want_table = true;
	for (;;) {
		double t = now_real();
		int running, left;
		for (int i = 0; i < S.n; i++)
			if (!S.a[i].h && t >= S.a[i].next_try)
				http_start(m, &S.a[i]);
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		while ((msg = curl_multi_info_read(m, &left))) {
			struct sim_agent *a = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &a);
			http_done(m, a, msg->data.result);
		}
		if (!said && S.n_ready == S.n) {
			printf("ready %d\n", S.n_ready);
			fflush(stdout);
			said = true;
			end = t + S.timeout;
		}
		if ((said && S.n_seen == S.n) || t > end)
			break;
		curl_multi_poll(m, NULL, 0, 20, NULL);
	}
	return said ? 0 : 1;
}

int main(int argc, char **argv)
{
	int o, rc;
	S.mode = "nats";
	S.n = 1000;
	S.conns = 50;
	S.from = 2;
	S.to = 1;
	S.timeout = 60;
	S.bind_k = 40;
	pthread_mutex_init(&S.mu, NULL);
	while ((o = getopt(argc, argv, "m:n:c:u:p:f:t:T:b:k:")) != -1) {
		switch (o) {
		case 'm': S.mode = optarg; break;
		case 'n': S.n = atoi(optarg); break;
		case 'c': S.conns = atoi(optarg); break;
		case 'u': S.url = optarg; break;
		case 'p': S.prefix = optarg; break;
		case 'f': S.from = atoi(optarg); break;
		case 't': S.to = atoi(optarg); break;
		case 'T': S.timeout = atof(optarg); break;
		case 'b': S.bind = optarg; break;
		case 'k': S.bind_k = atoi(optarg); break;
		default: return 2;
		}
	}
	if (!S.url || !S.prefix || S.n < 1 || S.conns < 1)
		return 2;
	if (S.conns > S.n)
		S.conns = S.n;
	S.a = calloc((size_t)S.n, sizeof(*S.a));
	for (int i = 0; i < S.n; i++)
		S.a[i].idx = i;
	rc = strcmp(S.mode, "http") ? run_nats() : run_http();
	for (int i = 0; i < S.n; i++) {
		if (S.a[i].seen)
			printf("seen %.6f\n", S.a[i].seen);
		else
			printf("missed\n");
	}
	printf("done\n");
	fflush(stdout);
	_exit(rc); /* no orderly teardown of thousands of subscriptions */
}

/*
 * nats_dl.h - libnats, loaded when fabric.publish is configured (see
 * base/dynlib.h).
 *
 * Include it after <nats/nats.h> where libnats's functions are called:
 * each name below then calls through the table nats_dl_load() fills, so
 * pharosd does not load libnats (nor OpenSSL with it) unless it publishes.
 * A function newly called must be added to NATS_DL_FUNCS and below.
 */
#ifndef PHAROS_DAEMON_NATS_DL_H
#define PHAROS_DAEMON_NATS_DL_H

#include <stddef.h>

#include <nats/nats.h>

#ifndef PHAROS_LIBNATS
#define PHAROS_LIBNATS "libnats.so.3.4"
#endif

#define NATS_DL_FUNCS(X)                                                       \
	X(jsCtx_Destroy)                                                       \
	X(jsOptions_Init)                                                      \
	X(jsPubOptions_Init)                                                   \
	X(jsStreamConfig_Init)                                                 \
	X(jsStreamInfo_Destroy)                                                \
	X(js_AddStream)                                                        \
	X(js_GetStreamInfo)                                                    \
	X(js_PublishAsync)                                                     \
	X(natsConnection_Close)                                                \
	X(natsConnection_Connect)                                              \
	X(natsConnection_Destroy)                                              \
	X(natsConnection_GetMaxPayload)                                        \
	X(natsConnection_JetStream)                                            \
	X(natsConnection_PublishString)                                        \
	X(natsConnection_Subscribe)                                            \
	X(natsMsg_Destroy)                                                     \
	X(natsMsg_GetData)                                                     \
	X(natsMsg_GetDataLength)                                               \
	X(natsMsg_GetSubject)                                                  \
	X(natsOptions_Create)                                                  \
	X(natsOptions_Destroy)                                                 \
	X(natsOptions_LoadCATrustedCertificates)                               \
	X(natsOptions_LoadCertificatesChain)                                   \
	X(natsOptions_SetDisconnectedCB)                                       \
	X(natsOptions_SetMaxReconnect)                                         \
	X(natsOptions_SetName)                                                 \
	X(natsOptions_SetReconnectWait)                                        \
	X(natsOptions_SetReconnectedCB)                                        \
	X(natsOptions_SetRetryOnFailedConnect)                                 \
	X(natsOptions_SetSecure)                                               \
	X(natsOptions_SetServers)                                              \
	X(natsOptions_SetTimeout)                                              \
	X(natsOptions_SetToken)                                                \
	X(natsOptions_SetUserCredentialsFromFiles)                             \
	X(natsOptions_SetUserInfo)                                             \
	X(natsOptions_SetWriteDeadline)                                        \
	X(natsStatus_GetText)                                                  \
	X(natsSubscription_Destroy)                                            \
	X(natsSubscription_Unsubscribe)                                        \
	X(nats_CloseAndWait)                                                   \
	X(nats_GetLastError)

struct nats_dl {
#define NATS_DL_FIELD(f) __typeof__(&f) f;
	NATS_DL_FUNCS(NATS_DL_FIELD)
#undef NATS_DL_FIELD
};
extern struct nats_dl nats_dl;

/* Load libnats once; 0, or -1 with the reason in err. */
int nats_dl_load(char *err, size_t errlen);

#ifndef NATS_DL_SELF
#define jsCtx_Destroy nats_dl.jsCtx_Destroy
#define jsOptions_Init nats_dl.jsOptions_Init
#define jsPubOptions_Init nats_dl.jsPubOptions_Init
#define jsStreamConfig_Init nats_dl.jsStreamConfig_Init
#define jsStreamInfo_Destroy nats_dl.jsStreamInfo_Destroy
#define js_AddStream nats_dl.js_AddStream
#define js_GetStreamInfo nats_dl.js_GetStreamInfo
#define js_PublishAsync nats_dl.js_PublishAsync
#define natsConnection_Close nats_dl.natsConnection_Close
#define natsConnection_Connect nats_dl.natsConnection_Connect
#define natsConnection_Destroy nats_dl.natsConnection_Destroy
#define natsConnection_GetMaxPayload nats_dl.natsConnection_GetMaxPayload
#define natsConnection_JetStream nats_dl.natsConnection_JetStream
#define natsConnection_PublishString nats_dl.natsConnection_PublishString
#define natsConnection_Subscribe nats_dl.natsConnection_Subscribe
#define natsMsg_Destroy nats_dl.natsMsg_Destroy
#define natsMsg_GetData nats_dl.natsMsg_GetData
#define natsMsg_GetDataLength nats_dl.natsMsg_GetDataLength
#define natsMsg_GetSubject nats_dl.natsMsg_GetSubject
#define natsOptions_Create nats_dl.natsOptions_Create
#define natsOptions_Destroy nats_dl.natsOptions_Destroy
#define natsOptions_LoadCATrustedCertificates nats_dl.natsOptions_LoadCATrustedCertificates
#define natsOptions_LoadCertificatesChain nats_dl.natsOptions_LoadCertificatesChain
#define natsOptions_SetDisconnectedCB nats_dl.natsOptions_SetDisconnectedCB
#define natsOptions_SetMaxReconnect nats_dl.natsOptions_SetMaxReconnect
#define natsOptions_SetName nats_dl.natsOptions_SetName
#define natsOptions_SetReconnectWait nats_dl.natsOptions_SetReconnectWait
#define natsOptions_SetReconnectedCB nats_dl.natsOptions_SetReconnectedCB
#define natsOptions_SetRetryOnFailedConnect nats_dl.natsOptions_SetRetryOnFailedConnect
#define natsOptions_SetSecure nats_dl.natsOptions_SetSecure
#define natsOptions_SetServers nats_dl.natsOptions_SetServers
#define natsOptions_SetTimeout nats_dl.natsOptions_SetTimeout
#define natsOptions_SetToken nats_dl.natsOptions_SetToken
#define natsOptions_SetUserCredentialsFromFiles nats_dl.natsOptions_SetUserCredentialsFromFiles
#define natsOptions_SetUserInfo nats_dl.natsOptions_SetUserInfo
#define natsOptions_SetWriteDeadline nats_dl.natsOptions_SetWriteDeadline
#define natsStatus_GetText nats_dl.natsStatus_GetText
#define natsSubscription_Destroy nats_dl.natsSubscription_Destroy
#define natsSubscription_Unsubscribe nats_dl.natsSubscription_Unsubscribe
#define nats_CloseAndWait nats_dl.nats_CloseAndWait
#define nats_GetLastError nats_dl.nats_GetLastError
#endif

#endif

/* cx.h - cxkit's shared library: one umbrella header for every module
 *
 * SPDX-License-Identifier: MIT
 * Every public symbol carries the cx_ prefix and one prefix per module
 * (cx_ndjson_, cx_log_, cx_state_, ...).  Each header states the contract
 * of what it exports: ownership, return values, errors.
 */
#ifndef CX_H
#define CX_H

#include "xwrap.h"
#include "log.h"
#include "cli.h"
#include "ndjson.h"
#include "config.h"
#include "state.h"
#include "template.h"
#include "phone.h"
#include "text.h"
#include "crypto.h"
#include "sign.h"
#include "cxtime.h"
#include "http.h"
#include "dispatch.h"
#include "record.h"
#include "sendq.h"
#include "split.h"
#include "normalize.h"

#endif

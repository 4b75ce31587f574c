/* phone.c - phone numbers: E.164 normalisation and validation
 *
 * SPDX-License-Identifier: MIT
 * Hand-written: Debian packages no C library for phone numbers
 * (libphonenumber is C++ and Java only).  What is checked is deliberately
 * coarse: the calling code exists (ITU-T E.164 assigned codes), the
 * national significant number (NSN) has a possible length for the
 * country, NANP area and exchange codes start 2-9, and a mainland China
 * number starting with 1 is an 11-digit mobile with a prefix MIIT has
 * allocated.  Only the NFKC folding (full-width digits and signs) comes
 * from a library, utf8proc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "phone.h"

struct country {
	const char *region;	/* ISO 3166-1 alpha-2; NULL: non-geographic */
	unsigned short cc;	/* country calling code */
	unsigned char min, max;	/* possible NSN lengths */
	const char *trunk;	/* national (trunk) prefix, NULL when none */
	const char *tz;		/* typical IANA zone, NULL when several */
};

/*
 * Every assigned ITU-T E.164 country calling code, in calling-code order.
 * Where regions share a code (+1, +7, +44, ...) the main region comes
 * first: it is the one cx_phone_region() names.  Lengths are possible NSN
 * lengths, generous where a plan mixes short landlines and longer mobiles.
 */
static const struct country countries[] = {
	{ "US", 1, 10, 10, "1", NULL },
	{ "CA", 1, 10, 10, "1", NULL },
	{ "AG", 1, 10, 10, "1", "America/Antigua" },
	{ "AI", 1, 10, 10, "1", "America/Anguilla" },
	{ "AS", 1, 10, 10, "1", "Pacific/Pago_Pago" },
	{ "BB", 1, 10, 10, "1", "America/Barbados" },
	{ "BM", 1, 10, 10, "1", "Atlantic/Bermuda" },
	{ "BS", 1, 10, 10, "1", "America/Nassau" },
	{ "DM", 1, 10, 10, "1", "America/Dominica" },
	{ "DO", 1, 10, 10, "1", "America/Santo_Domingo" },
	{ "GD", 1, 10, 10, "1", "America/Grenada" },
	{ "GU", 1, 10, 10, "1", "Pacific/Guam" },
	{ "JM", 1, 10, 10, "1", "America/Jamaica" },
	{ "KN", 1, 10, 10, "1", "America/St_Kitts" },
	{ "KY", 1, 10, 10, "1", "America/Cayman" },
	{ "LC", 1, 10, 10, "1", "America/St_Lucia" },
	{ "MP", 1, 10, 10, "1", "Pacific/Saipan" },
	{ "MS", 1, 10, 10, "1", "America/Montserrat" },
	{ "PR", 1, 10, 10, "1", "America/Puerto_Rico" },
	{ "SX", 1, 10, 10, "1", "America/Lower_Princes" },
	{ "TC", 1, 10, 10, "1", "America/Grand_Turk" },
	{ "TT", 1, 10, 10, "1", "America/Port_of_Spain" },
	{ "VC", 1, 10, 10, "1", "America/St_Vincent" },
	{ "VG", 1, 10, 10, "1", "America/Tortola" },
	{ "VI", 1, 10, 10, "1", "America/St_Thomas" },
	{ "RU", 7, 10, 10, "8", NULL },
	{ "KZ", 7, 10, 10, "8", NULL },
	{ "EG", 20, 8, 10, "0", "Africa/Cairo" },
	{ "ZA", 27, 9, 9, "0", "Africa/Johannesburg" },
	{ "GR", 30, 10, 10, NULL, "Europe/Athens" },
	{ "NL", 31, 9, 9, "0", "Europe/Amsterdam" },
	{ "BE", 32, 8, 9, "0", "Europe/Brussels" },
	{ "FR", 33, 9, 9, "0", "Europe/Paris" },
	{ "ES", 34, 9, 9, NULL, "Europe/Madrid" },
	{ "HU", 36, 8, 9, "06", "Europe/Budapest" },
	{ "IT", 39, 6, 11, NULL, "Europe/Rome" },
	{ "VA", 39, 6, 11, NULL, "Europe/Vatican" },
	{ "RO", 40, 9, 9, "0", "Europe/Bucharest" },
	{ "CH", 41, 9, 9, "0", "Europe/Zurich" },
	{ "AT", 43, 4, 13, "0", "Europe/Vienna" },
	{ "GB", 44, 9, 10, "0", "Europe/London" },
	{ "GG", 44, 9, 10, "0", "Europe/Guernsey" },
	{ "IM", 44, 9, 10, "0", "Europe/Isle_of_Man" },
	{ "JE", 44, 9, 10, "0", "Europe/Jersey" },
	{ "DK", 45, 8, 8, NULL, "Europe/Copenhagen" },
	{ "SE", 46, 7, 9, "0", "Europe/Stockholm" },
	{ "NO", 47, 5, 8, NULL, "Europe/Oslo" },
	{ "SJ", 47, 5, 8, NULL, "Arctic/Longyearbyen" },
	{ "PL", 48, 9, 9, NULL, "Europe/Warsaw" },
	{ "DE", 49, 6, 13, "0", "Europe/Berlin" },
	{ "PE", 51, 8, 9, "0", "America/Lima" },
	{ "MX", 52, 10, 10, NULL, NULL },
	{ "CU", 53, 6, 8, "0", "America/Havana" },
	{ "AR", 54, 10, 11, "0", "America/Argentina/Buenos_Aires" },
	{ "BR", 55, 10, 11, "0", NULL },
	{ "CL", 56, 9, 9, NULL, NULL },
	{ "CO", 57, 8, 10, "0", "America/Bogota" },
	{ "VE", 58, 10, 10, "0", "America/Caracas" },
	{ "MY", 60, 8, 10, "0", "Asia/Kuala_Lumpur" },
	{ "AU", 61, 9, 9, "0", NULL },
	{ "CC", 61, 9, 9, "0", "Indian/Cocos" },
	{ "CX", 61, 9, 9, "0", "Indian/Christmas" },
	{ "ID", 62, 8, 12, "0", NULL },
	{ "PH", 63, 8, 10, "0", "Asia/Manila" },
	{ "NZ", 64, 8, 10, "0", "Pacific/Auckland" },
	{ "PN", 64, 8, 10, "0", "Pacific/Pitcairn" },
	{ "SG", 65, 8, 8, NULL, "Asia/Singapore" },
	{ "TH", 66, 8, 9, "0", "Asia/Bangkok" },
	{ "JP", 81, 9, 10, "0", "Asia/Tokyo" },
	{ "KR", 82, 8, 10, "0", "Asia/Seoul" },
	{ "VN", 84, 9, 10, "0", "Asia/Ho_Chi_Minh" },
	{ "CN", 86, 7, 11, "0", "Asia/Shanghai" },
	{ "TR", 90, 10, 10, "0", "Europe/Istanbul" },
	{ "IN", 91, 10, 10, "0", "Asia/Kolkata" },
	{ "PK", 92, 9, 10, "0", "Asia/Karachi" },
	{ "AF", 93, 9, 9, "0", "Asia/Kabul" },
	{ "LK", 94, 9, 9, "0", "Asia/Colombo" },
	{ "MM", 95, 7, 10, "0", "Asia/Yangon" },
	{ "IR", 98, 10, 10, "0", "Asia/Tehran" },
	{ "SS", 211, 9, 9, "0", "Africa/Juba" },
	{ "MA", 212, 9, 9, "0", "Africa/Casablanca" },
	{ "EH", 212, 9, 9, "0", "Africa/El_Aaiun" },
	{ "DZ", 213, 8, 9, "0", "Africa/Algiers" },
	{ "TN", 216, 8, 8, NULL, "Africa/Tunis" },
	{ "LY", 218, 8, 9, "0", "Africa/Tripoli" },
	{ "GM", 220, 7, 7, NULL, "Africa/Banjul" },
	{ "SN", 221, 9, 9, NULL, "Africa/Dakar" },
	{ "MR", 222, 8, 8, NULL, "Africa/Nouakchott" },
	{ "ML", 223, 8, 8, NULL, "Africa/Bamako" },
	{ "GN", 224, 8, 9, NULL, "Africa/Conakry" },
	{ "CI", 225, 8, 10, NULL, "Africa/Abidjan" },
	{ "BF", 226, 8, 8, NULL, "Africa/Ouagadougou" },
	{ "NE", 227, 8, 8, NULL, "Africa/Niamey" },
	{ "TG", 228, 8, 8, NULL, "Africa/Lome" },
	{ "BJ", 229, 8, 10, NULL, "Africa/Porto-Novo" },
	{ "MU", 230, 7, 8, NULL, "Indian/Mauritius" },
	{ "LR", 231, 7, 9, "0", "Africa/Monrovia" },
	{ "SL", 232, 8, 8, "0", "Africa/Freetown" },
	{ "GH", 233, 9, 9, "0", "Africa/Accra" },
	{ "NG", 234, 7, 10, "0", "Africa/Lagos" },
	{ "TD", 235, 8, 8, NULL, "Africa/Ndjamena" },
	{ "CF", 236, 8, 8, NULL, "Africa/Bangui" },
	{ "CM", 237, 8, 9, NULL, "Africa/Douala" },
	{ "CV", 238, 7, 7, NULL, "Atlantic/Cape_Verde" },
	{ "ST", 239, 7, 7, NULL, "Africa/Sao_Tome" },
	{ "GQ", 240, 9, 9, NULL, "Africa/Malabo" },
	{ "GA", 241, 7, 8, NULL, "Africa/Libreville" },
	{ "CG", 242, 9, 9, NULL, "Africa/Brazzaville" },
	{ "CD", 243, 9, 9, "0", NULL },
	{ "AO", 244, 9, 9, NULL, "Africa/Luanda" },
	{ "GW", 245, 7, 9, NULL, "Africa/Bissau" },
	{ "IO", 246, 7, 7, NULL, "Indian/Chagos" },
	{ "AC", 247, 4, 6, NULL, "Atlantic/St_Helena" },
	{ "SC", 248, 7, 7, NULL, "Indian/Mahe" },
	{ "SD", 249, 9, 9, "0", "Africa/Khartoum" },
	{ "RW", 250, 9, 9, "0", "Africa/Kigali" },
	{ "ET", 251, 9, 9, "0", "Africa/Addis_Ababa" },
	{ "SO", 252, 7, 9, "0", "Africa/Mogadishu" },
	{ "DJ", 253, 8, 8, NULL, "Africa/Djibouti" },
	{ "KE", 254, 7, 10, "0", "Africa/Nairobi" },
	{ "TZ", 255, 9, 9, "0", "Africa/Dar_es_Salaam" },
	{ "UG", 256, 9, 9, "0", "Africa/Kampala" },
	{ "BI", 257, 8, 8, NULL, "Africa/Bujumbura" },
	{ "MZ", 258, 8, 9, NULL, "Africa/Maputo" },
	{ "ZM", 260, 9, 9, "0", "Africa/Lusaka" },
	{ "MG", 261, 9, 9, "0", "Indian/Antananarivo" },
	{ "RE", 262, 9, 9, "0", "Indian/Reunion" },
	{ "YT", 262, 9, 9, "0", "Indian/Mayotte" },
	{ "ZW", 263, 5, 10, "0", "Africa/Harare" },
	{ "NA", 264, 6, 10, "0", "Africa/Windhoek" },
	{ "MW", 265, 7, 9, "0", "Africa/Blantyre" },
	{ "LS", 266, 8, 8, NULL, "Africa/Maseru" },
	{ "BW", 267, 7, 8, NULL, "Africa/Gaborone" },
	{ "SZ", 268, 8, 8, NULL, "Africa/Mbabane" },
	{ "KM", 269, 7, 7, NULL, "Indian/Comoro" },
	{ "SH", 290, 4, 5, NULL, "Atlantic/St_Helena" },
	{ "TA", 290, 4, 5, NULL, "Atlantic/St_Helena" },
	{ "ER", 291, 7, 7, "0", "Africa/Asmara" },
	{ "AW", 297, 7, 7, NULL, "America/Aruba" },
	{ "FO", 298, 6, 6, NULL, "Atlantic/Faroe" },
	{ "GL", 299, 6, 6, NULL, NULL },
	{ "GI", 350, 8, 8, NULL, "Europe/Gibraltar" },
	{ "PT", 351, 9, 9, NULL, "Europe/Lisbon" },
	{ "LU", 352, 4, 11, NULL, "Europe/Luxembourg" },
	{ "IE", 353, 7, 9, "0", "Europe/Dublin" },
	{ "IS", 354, 7, 9, NULL, "Atlantic/Reykjavik" },
	{ "AL", 355, 8, 9, "0", "Europe/Tirane" },
	{ "MT", 356, 8, 8, NULL, "Europe/Malta" },
	{ "CY", 357, 8, 8, NULL, "Asia/Nicosia" },
	{ "FI", 358, 5, 12, "0", "Europe/Helsinki" },
	{ "AX", 358, 5, 12, "0", "Europe/Mariehamn" },
	{ "BG", 359, 7, 9, "0", "Europe/Sofia" },
	{ "LT", 370, 8, 8, "8", "Europe/Vilnius" },
	{ "LV", 371, 8, 8, NULL, "Europe/Riga" },
	{ "EE", 372, 7, 8, NULL, "Europe/Tallinn" },
	{ "MD", 373, 8, 8, "0", "Europe/Chisinau" },
	{ "AM", 374, 8, 8, "0", "Asia/Yerevan" },
	{ "BY", 375, 9, 10, "8", "Europe/Minsk" },
	{ "AD", 376, 6, 9, NULL, "Europe/Andorra" },
	{ "MC", 377, 8, 9, NULL, "Europe/Monaco" },
	{ "SM", 378, 6, 10, NULL, "Europe/San_Marino" },
	{ "UA", 380, 9, 9, "0", "Europe/Kyiv" },
	{ "RS", 381, 6, 9, "0", "Europe/Belgrade" },
	{ "ME", 382, 8, 8, "0", "Europe/Podgorica" },
	{ "XK", 383, 8, 9, "0", "Europe/Belgrade" },
	{ "HR", 385, 8, 9, "0", "Europe/Zagreb" },
	{ "SI", 386, 8, 8, "0", "Europe/Ljubljana" },
	{ "BA", 387, 8, 9, "0", "Europe/Sarajevo" },
	{ "MK", 389, 8, 8, "0", "Europe/Skopje" },
	{ "CZ", 420, 9, 9, NULL, "Europe/Prague" },
	{ "SK", 421, 9, 9, "0", "Europe/Bratislava" },
	{ "LI", 423, 7, 7, NULL, "Europe/Vaduz" },
	{ "FK", 500, 5, 5, NULL, "Atlantic/Stanley" },
	{ "BZ", 501, 7, 7, NULL, "America/Belize" },
	{ "GT", 502, 8, 8, NULL, "America/Guatemala" },
	{ "SV", 503, 8, 8, NULL, "America/El_Salvador" },
	{ "HN", 504, 8, 8, NULL, "America/Tegucigalpa" },
	{ "NI", 505, 8, 8, NULL, "America/Managua" },
	{ "CR", 506, 8, 8, NULL, "America/Costa_Rica" },
	{ "PA", 507, 7, 8, NULL, "America/Panama" },
	{ "PM", 508, 6, 6, "0", "America/Miquelon" },
	{ "HT", 509, 8, 8, NULL, "America/Port-au-Prince" },
	{ "GP", 590, 9, 9, "0", "America/Guadeloupe" },
	{ "BL", 590, 9, 9, "0", "America/St_Barthelemy" },
	{ "MF", 590, 9, 9, "0", "America/Marigot" },
	{ "BO", 591, 8, 8, "0", "America/La_Paz" },
	{ "GY", 592, 7, 7, NULL, "America/Guyana" },
	{ "EC", 593, 8, 9, "0", "America/Guayaquil" },
	{ "GF", 594, 9, 9, "0", "America/Cayenne" },
	{ "PY", 595, 7, 9, "0", "America/Asuncion" },
	{ "MQ", 596, 9, 9, "0", "America/Martinique" },
	{ "SR", 597, 6, 7, NULL, "America/Paramaribo" },
	{ "UY", 598, 8, 8, "0", "America/Montevideo" },
	{ "CW", 599, 7, 8, NULL, "America/Curacao" },
	{ "BQ", 599, 7, 8, NULL, "America/Kralendijk" },
	{ "TL", 670, 7, 8, NULL, "Asia/Dili" },
	{ "NF", 672, 6, 6, NULL, "Pacific/Norfolk" },
	{ "AQ", 672, 6, 6, NULL, NULL },
	{ "BN", 673, 7, 7, NULL, "Asia/Brunei" },
	{ "NR", 674, 7, 7, NULL, "Pacific/Nauru" },
	{ "PG", 675, 7, 8, NULL, "Pacific/Port_Moresby" },
	{ "TO", 676, 5, 7, NULL, "Pacific/Tongatapu" },
	{ "SB", 677, 5, 7, NULL, "Pacific/Guadalcanal" },
	{ "VU", 678, 5, 7, NULL, "Pacific/Efate" },
	{ "FJ", 679, 7, 7, NULL, "Pacific/Fiji" },
	{ "PW", 680, 7, 7, NULL, "Pacific/Palau" },
	{ "WF", 681, 6, 9, NULL, "Pacific/Wallis" },
	{ "CK", 682, 5, 5, NULL, "Pacific/Rarotonga" },
	{ "NU", 683, 4, 7, NULL, "Pacific/Niue" },
	{ "WS", 685, 5, 7, NULL, "Pacific/Apia" },
	{ "KI", 686, 5, 8, NULL, NULL },
	{ "NC", 687, 6, 6, NULL, "Pacific/Noumea" },
	{ "TV", 688, 5, 7, NULL, "Pacific/Funafuti" },
	{ "PF", 689, 8, 8, NULL, NULL },
	{ "TK", 690, 4, 7, NULL, "Pacific/Fakaofo" },
	{ "FM", 691, 7, 7, NULL, NULL },
	{ "MH", 692, 7, 7, NULL, "Pacific/Majuro" },
	{ NULL, 800, 8, 8, NULL, NULL },	/* international freephone */
	{ NULL, 808, 8, 8, NULL, NULL },	/* shared cost services */
	{ "KP", 850, 8, 10, "0", "Asia/Pyongyang" },
	{ "HK", 852, 8, 8, NULL, "Asia/Hong_Kong" },
	{ "MO", 853, 8, 8, NULL, "Asia/Macau" },
	{ "KH", 855, 8, 9, "0", "Asia/Phnom_Penh" },
	{ "LA", 856, 8, 10, "0", "Asia/Vientiane" },
	{ NULL, 870, 9, 9, NULL, NULL },	/* Inmarsat */
	{ NULL, 878, 10, 12, NULL, NULL },	/* universal personal */
	{ "BD", 880, 8, 10, "0", "Asia/Dhaka" },
	{ NULL, 881, 9, 10, NULL, NULL },	/* global mobile satellite */
	{ NULL, 882, 7, 12, NULL, NULL },	/* international networks */
	{ NULL, 883, 9, 12, NULL, NULL },	/* international networks */
	{ "TW", 886, 8, 9, "0", "Asia/Taipei" },
	{ NULL, 888, 11, 11, NULL, NULL },	/* OCHA disaster relief */
	{ "MV", 960, 7, 7, NULL, "Indian/Maldives" },
	{ "LB", 961, 7, 8, "0", "Asia/Beirut" },
	{ "JO", 962, 8, 9, "0", "Asia/Amman" },
	{ "SY", 963, 8, 9, "0", "Asia/Damascus" },
	{ "IQ", 964, 8, 10, "0", "Asia/Baghdad" },
	{ "KW", 965, 8, 8, NULL, "Asia/Kuwait" },
	{ "SA", 966, 8, 9, "0", "Asia/Riyadh" },
	{ "YE", 967, 7, 9, "0", "Asia/Aden" },
	{ "OM", 968, 8, 8, NULL, "Asia/Muscat" },
	{ "PS", 970, 8, 9, "0", NULL },
	{ "AE", 971, 8, 9, "0", "Asia/Dubai" },
	{ "IL", 972, 8, 9, "0", "Asia/Jerusalem" },
	{ "BH", 973, 8, 8, NULL, "Asia/Bahrain" },
	{ "QA", 974, 8, 8, NULL, "Asia/Qatar" },
	{ "BT", 975, 7, 8, NULL, "Asia/Thimphu" },
	{ "MN", 976, 8, 8, "0", NULL },
	{ "NP", 977, 8, 10, "0", "Asia/Kathmandu" },
	{ NULL, 979, 9, 9, NULL, NULL },	/* international premium rate */
	{ "TJ", 992, 9, 9, NULL, "Asia/Dushanbe" },
	{ "TM", 993, 8, 8, "8", "Asia/Ashgabat" },
	{ "AZ", 994, 9, 9, "0", "Asia/Baku" },
	{ "GE", 995, 9, 9, "0", "Asia/Tbilisi" },
	{ "KG", 996, 9, 9, "0", "Asia/Bishkek" },
	{ "UZ", 998, 9, 9, NULL, "Asia/Tashkent" },
};

#define NCOUNTRIES (sizeof(countries) / sizeof(countries[0]))

static char why_buf[80];	/* the formatted *why: valid until next call */

/* The main entry for calling code cc, or NULL. */
static const struct country *
by_cc(int cc)
{
	size_t i;

	for (i = 0; i < NCOUNTRIES; i++)
		if (countries[i].cc == cc)
			return &countries[i];
	return NULL;
}

static const struct country *
by_region(const char *region)
{
	size_t i;

	if (region == NULL)
		return NULL;
	for (i = 0; i < NCOUNTRIES; i++)
		if (countries[i].region != NULL &&
		    strcasecmp(countries[i].region, region) == 0)
			return &countries[i];
	return NULL;
}

/* The entry whose calling code starts the n digits d (longest first);
 * *cclen gets the code's length. */
static const struct country *
by_prefix(const char *d, size_t n, size_t *cclen)
{
	const struct country *c;
	size_t k, i;
	int cc;

	for (k = n < 3 ? n : 3; k >= 1; k--) {
		for (cc = 0, i = 0; i < k; i++) {
			if (d[i] < '0' || d[i] > '9')
				return NULL;
			cc = cc * 10 + (d[i] - '0');
		}
		if (d[0] != '0' && (c = by_cc(cc)) != NULL) {
			*cclen = k;
			return c;
		}
	}
	return NULL;
}

static const char *
why_fmt(const char *what, const struct country *c)
{
	if (c->region != NULL)
		snprintf(why_buf, sizeof(why_buf), "%s for %s", what,
		    c->region);
	else
		snprintf(why_buf, sizeof(why_buf), "%s for +%d", what, c->cc);
	return why_buf;
}

/* MIIT allocations: 13x, 14x, 15[0-35-9], 16[2567], 17[0-8], 18x,
 * 19[0-35-9].  n holds 11 digits starting with '1'. */
static int
cn_mobile(const char *n)
{
	int b = n[2] - '0';

	switch (n[1]) {
	case '3':
	case '4':
	case '8':
		return 1;
	case '5':
	case '9':
		return b != 4;
	case '6':
		return b == 2 || b == 5 || b == 6 || b == 7;
	case '7':
		return b <= 8;
	}
	return 0;
}

/* NULL when nsn (n digits) is a possible number of country c, else why. */
static const char *
check_nsn(const struct country *c, const char *nsn, size_t n)
{
	size_t cclen = c->cc >= 100 ? 3 : c->cc >= 10 ? 2 : 1;

	if (cclen + n > 15)
		return "too long for E.164 (more than 15 digits)";
	if (n < c->min)
		return why_fmt("too short", c);
	if (n > c->max)
		return why_fmt("too long", c);
	if (c->trunk != NULL && c->trunk[0] == '0' && nsn[0] == '0')
		return why_fmt("not a possible number", c);
	if (c->cc == 1 && (nsn[0] < '2' || nsn[3] < '2'))
		return "not a possible NANP number";
	if (c->cc == 86 && nsn[0] == '1') {
		/* Beijing's landlines (area code 10) also start with 1. */
		if (n == 10 && nsn[1] == '0')
			return NULL;
		if (n != 11)
			return "a mainland China mobile number has 11 digits";
		if (!cn_mobile(nsn))
			return "not a mainland China mobile prefix";
	}
	return NULL;
}

int
cx_phone_e164(const char *in, const char *region, char out[CX_PHONE_MAX],
    const char **why)
{
	const struct country *c, *home = by_region(region);
	const char *nsn, *err;
	utf8proc_uint8_t *nf, *p;
	char d[24], ccs[8];
	size_t n = 0, cclen, len, t;
	int plus = 0;

	out[0] = '\0';
	if (in == NULL ||
	    (nf = utf8proc_NFKC((const utf8proc_uint8_t *)in)) == NULL) {
		*why = "not a phone number";
		return -1;
	}
	/* Folded: keep digits and one leading '+', drop the separators. */
	for (p = nf; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9') {
			if (n == sizeof(d) - 1)
				break;
			d[n++] = (char)*p;
		} else if (*p == '+' && n == 0 && !plus) {
			plus = 1;
		} else if (strchr(" -.()", *p) == NULL) {
			break;
		}
	}
	err = *p != '\0' ? (n == sizeof(d) - 1 ? "too long" :
	    "not a phone number") : n == 0 ? "not a phone number" : NULL;
	free(nf);
	if (err != NULL) {
		*why = err;
		return -1;
	}
	d[n] = '\0';

	/* International: "+", "00", or "011" in a NANP region. */
	if (plus || strncmp(d, "00", 2) == 0 ||
	    (home != NULL && home->cc == 1 && strncmp(d, "011", 3) == 0)) {
		nsn = plus ? d : d[1] == '0' ? d + 2 : d + 3;
		len = n - (size_t)(nsn - d);
		if (len > 15) {
			*why = "too long for E.164 (more than 15 digits)";
			return -1;
		}
		if ((c = by_prefix(nsn, len, &cclen)) == NULL) {
			snprintf(why_buf, sizeof(why_buf),
			    "unknown country calling code +%.3s", nsn);
			*why = why_buf;
			return -1;
		}
		nsn += cclen;
		len -= cclen;
		/* "+44 (0)20 ...": a trunk prefix written after the code. */
		if (len > 1 && c->trunk != NULL && c->trunk[0] == '0' &&
		    c->trunk[1] == '\0' && nsn[0] == '0')
			nsn++, len--;
	} else {
		if (region == NULL) {
			*why = "a national number needs a region";
			return -1;
		}
		if ((c = home) == NULL) {
			*why = "unknown region";
			return -1;
		}
		nsn = d;
		len = n;
		t = c->trunk != NULL ? strlen(c->trunk) : 0;
		/* CN mobiles (11 digits from 1) have no trunk prefix. */
		if (t > 0 && len > t && strncmp(d, c->trunk, t) == 0 &&
		    !(c->cc == 86 && len == 11 && d[0] == '1'))
			nsn += t, len -= t;
		if ((err = check_nsn(c, nsn, len)) != NULL) {
			/* Written with the calling code but no '+'? */
			snprintf(ccs, sizeof(ccs), "%d", c->cc);
			cclen = strlen(ccs);
			if (n > cclen && strncmp(d, ccs, cclen) == 0 &&
			    check_nsn(c, d + cclen, n - cclen) == NULL) {
				nsn = d + cclen;
				len = n - cclen;
			} else {
				*why = err;
				return -1;
			}
		}
	}
	if ((err = check_nsn(c, nsn, len)) != NULL) {
		*why = err;
		return -1;
	}
	snprintf(out, CX_PHONE_MAX, "+%d%.*s", c->cc, (int)len, nsn);
	return 0;
}

/* The entry of an E.164 string by its calling code, or NULL. */
static const struct country *
lookup(const char *e164, size_t *cclen)
{
	if (e164 == NULL || e164[0] != '+')
		return NULL;
	return by_prefix(e164 + 1, strlen(e164 + 1), cclen);
}

const char *
cx_phone_region(const char *e164)
{
	const struct country *c;
	size_t cclen;

	return (c = lookup(e164, &cclen)) != NULL ? c->region : NULL;
}

int
cx_phone_cc(const char *region)
{
	const struct country *c = by_region(region);

	return c != NULL ? c->cc : 0;
}

const char *
cx_phone_tz(const char *e164)
{
	const struct country *c;
	size_t cclen;

	return (c = lookup(e164, &cclen)) != NULL ? c->tz : NULL;
}

void
cx_phone_mask(const char *e164, char out[CX_PHONE_MAX])
{
	size_t cclen = 0, digits = 0, seen = 0, o = 0, i, shown;

	if (e164 == NULL) {
		out[0] = '\0';
		return;
	}
	if (lookup(e164, &cclen) == NULL)
		cclen = 0;
	for (i = 0; e164[i] != '\0'; i++)
		if (e164[i] >= '0' && e164[i] <= '9')
			digits++;
	/* Keep the calling code and the last 4 digits, never all of it. */
	shown = digits - cclen > 4 ? 4 : 0;
	for (i = 0; e164[i] != '\0' && o < CX_PHONE_MAX - 1; i++) {
		if (e164[i] < '0' || e164[i] > '9') {
			out[o++] = e164[i];
			continue;
		}
		seen++;
		if (seen <= cclen || seen > digits - shown)
			out[o++] = e164[i];
		else
			out[o++] = '*';
	}
	out[o] = '\0';
}

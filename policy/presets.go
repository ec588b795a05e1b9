package policy

// reminders are the same for every preset: a week, three days and a day
// before the due date.
var reminders = []string{"7d", "3d", "1d"}

// GDPRNoMemberState is the calendar the gdpr preset runs on until the
// operator names the member state whose law governs the controller (EU Reg.
// 1182/71 art. 2(1) counts that state's public holidays). It knows no
// holidays, so the registry warns about it.
const GDPRNoMemberState = "weekends"

// Presets returns the built-in policies. Each call returns fresh values, so
// callers may modify them. Each legal preset runs on its jurisdiction's
// calendar; config's policy_calendars chooses another (gb-sct, us-ca-gc6700,
// or for gdpr the member state).
func Presets() []Spec {
	return []Spec{
		{
			ID:                 "cn-15d-ext45",
			Description:        "Chinese privacy-policy promise: reply within 15 days of receipt, extendable once by up to 45 days with notice",
			Deadline:           "15d",
			ClockStart:         string(OnReceipt),
			Extension:          "45d",
			MaxExtensions:      1,
			VerificationWindow: "10d",
			CoolingOff:         "7d",
			Reminders:          clone(reminders),
			Calendar:           "cn",
			TimeZone:           "Asia/Shanghai",
		},
		{
			ID:                 "cn-15d-after-verification",
			Description:        "Chinese privacy-policy promise: reply within 15 days after the requester's identity is verified",
			Deadline:           "15d",
			ClockStart:         string(OnVerification),
			VerificationWindow: "30d",
			CoolingOff:         "7d",
			Reminders:          clone(reminders),
			Calendar:           "cn",
			TimeZone:           "Asia/Shanghai",
		},
		{
			ID:          "cn-15wd",
			Description: "Chinese privacy-policy promise: reply within 15 working days (official PRC calendar); account cancellations and complaints count from identity verification",
			Deadline:    "15wd",
			ClockStart:  string(OnReceipt),
			ClockStartByType: map[string]string{
				"account_cancellation": string(OnVerification),
				"complaint":            string(OnVerification),
			},
			VerificationWindow: "30d",
			CoolingOff:         "7d",
			Reminders:          clone(reminders),
			Calendar:           "cn",
			TimeZone:           "Asia/Shanghai",
		},
		{
			ID:                 "1m-ext45",
			Description:        "Privacy-policy promise: reply within one month of receipt, extendable once by 45 days",
			Deadline:           "1m",
			ClockStart:         string(OnReceipt),
			Extension:          "45d",
			MaxExtensions:      1,
			VerificationWindow: "20d",
			CoolingOff:         "7d",
			Reminders:          clone(reminders),
			Calendar:           "weekends",
			TimeZone:           "UTC",
		},
		{
			ID:                 "gdpr",
			Description:        "GDPR art. 12(3): one month from receipt, extendable by two further months",
			Deadline:           "1m",
			ClockStart:         string(OnReceipt),
			Extension:          "2m",
			MaxExtensions:      1,
			VerificationWindow: "20d",
			CoolingOff:         "7d",
			Reminders:          clone(reminders),
			Calendar:           GDPRNoMemberState,
			TimeZone:           "Europe/Brussels",
		},
		{
			ID:                 "uk-gdpr",
			Description:        "UK GDPR art. 12(3) and 12A: one month from receipt, extendable by two months; the clock stops while awaiting the requester",
			Deadline:           "1m",
			ClockStart:         string(OnReceipt),
			Extension:          "2m",
			MaxExtensions:      1,
			StopTheClock:       true,
			VerificationWindow: "20d",
			CoolingOff:         "7d",
			Reminders:          clone(reminders),
			Calendar:           "gb-eng",
			TimeZone:           "Europe/London",
		},
		{
			ID:                 "ccpa",
			Description:        "CCPA (Cal. Civ. Code 1798.130, 11 CCR 7021): confirm receipt within 10 business days, respond within 45 days, extendable once by 45 days",
			Deadline:           "45d",
			ClockStart:         string(OnReceipt),
			Extension:          "45d",
			MaxExtensions:      1,
			Acknowledge:        "10wd",
			VerificationWindow: "30d",
			CoolingOff:         "7d",
			Reminders:          clone(reminders),
			Calendar:           "us-ca",
			TimeZone:           "America/Los_Angeles",
		},
		{
			ID:                 "lgpd",
			Description:        "LGPD art. 19, II: complete reply within 15 days of the request",
			Deadline:           "15d",
			ClockStart:         string(OnReceipt),
			VerificationWindow: "10d",
			CoolingOff:         "7d",
			Reminders:          clone(reminders),
			Calendar:           "br",
			TimeZone:           "America/Sao_Paulo",
		},
	}
}

func clone(s []string) []string { return append([]string(nil), s...) }

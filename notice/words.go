package notice

import "github.com/dsrflow/dsrflow/request"

var typeNames = map[request.Language]map[request.Type]string{
	request.Chinese: {
		request.Access:              "访问",
		request.Correction:          "更正",
		request.Deletion:            "删除",
		request.Portability:         "可携带（转移）",
		request.AccountCancellation: "注销账户",
		request.Restriction:         "限制处理",
		request.Objection:           "反对处理",
		request.ConsentWithdrawal:   "撤回同意",
		request.Complaint:           "投诉",
		request.Unclassified:        "个人信息权利",
	},
	request.English: {
		request.Access:              "access",
		request.Correction:          "correction",
		request.Deletion:            "deletion",
		request.Portability:         "portability",
		request.AccountCancellation: "account cancellation",
		request.Restriction:         "processing restriction",
		request.Objection:           "objection",
		request.ConsentWithdrawal:   "consent withdrawal",
		request.Complaint:           "complaint",
		request.Unclassified:        "data protection",
	},
}

// TypeName returns the request type in words, or "" if there are none.
func TypeName(lang request.Language, t request.Type) string {
	return typeNames[lang][t]
}

// denialTexts say each refusal ground as a sentence the requester can
// understand; the staff explanation that follows it gives the particulars.
var denialTexts = map[request.Language]map[request.DenialReason]string{
	request.Chinese: {
		request.NotEntitled:         "您并非相关个人信息的主体，也未能证明您有权代表其提出该请求。",
		request.IdentityUnverified:  "我们未能核实您的身份，因此无法确认该请求由个人信息主体本人或其授权代理人提出。",
		request.UnfoundedOrRepeated: "该请求明显缺乏依据，或在短期内重复提出且没有新的理由。",
		request.OutOfScope:          "该请求涉及的信息或事项不在我们处理的个人信息范围内，或不属于可依法请求的事项。",
		request.DisputeHarm:         "满足该请求将妨碍正在进行的争议、调查或法律程序的处理。",
		request.StatisticsOnly:      "相关信息仅用于统计或研究目的，且以无法识别特定个人的方式处理。",
		request.NationalSecurity:    "该请求涉及与国家安全、国防安全直接相关的信息，依法不予响应。",
		request.PublicInterest:      "该请求涉及与公共安全、公共卫生或重大公共利益直接相关的信息，依法不予响应。",
		request.CriminalProceedings: "该请求涉及与刑事侦查、起诉、审判或判决执行直接相关的信息，依法不予响应。",
		request.AbuseOfRights:       "我们有充分证据表明该请求出于主观恶意或构成权利滥用。",
		request.HarmToOthers:        "满足该请求将导致您或其他个人、组织的合法权益受到严重损害。",
		request.TradeSecret:         "满足该请求将泄露商业秘密。",
		request.OtherLegalGround:    "存在法律、行政法规规定的其他不予响应的情形。",
	},
	request.English: {
		request.NotEntitled:         "You are not the person the information is about, and you have not shown that you are entitled to make the request on their behalf.",
		request.IdentityUnverified:  "We could not verify your identity, so we cannot confirm that the request comes from the person the information is about or from someone authorised to act for them.",
		request.UnfoundedOrRepeated: "The request is manifestly unfounded, or repeats an earlier request within a short time without new grounds.",
		request.OutOfScope:          "The request concerns information or matters outside the personal information we process, or outside what the law allows to be requested.",
		request.DisputeHarm:         "Meeting the request would prejudice the handling of a pending dispute, investigation or legal proceeding.",
		request.StatisticsOnly:      "The information is processed only for statistical or research purposes, in a form that does not identify any individual.",
		request.NationalSecurity:    "The request concerns information directly related to national security or national defence, for which the law exempts us from responding.",
		request.PublicInterest:      "The request concerns information directly related to public safety, public health or a significant public interest, for which the law exempts us from responding.",
		request.CriminalProceedings: "The request concerns information directly related to the investigation, prosecution or trial of a crime or the enforcement of a judgment, for which the law exempts us from responding.",
		request.AbuseOfRights:       "We have sufficient evidence that the request is made in bad faith or is an abuse of rights.",
		request.HarmToOthers:        "Meeting the request would seriously harm the lawful rights and interests of you or of other people or organisations.",
		request.TradeSecret:         "Meeting the request would disclose trade secrets.",
		request.OtherLegalGround:    "Another ground provided by law or administrative regulation allows us to refuse the request.",
	},
}

// DenialText returns the refusal ground as a sentence, or "" if there is none.
func DenialText(lang request.Language, r request.DenialReason) string {
	return denialTexts[lang][r]
}

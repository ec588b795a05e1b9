package classify

import "github.com/dsrflow/dsrflow/request"

// Weights of the evidence a keyword gives.
const (
	weak   = 1.0 // a word that often means something else ("查询" is also asking about progress)
	medium = 2.0 // usually this request, not always
	strong = 3.0 // a phrase nobody uses for anything else in mail to a DPO
)

// keyword is a term that points at a request type. Terms are written
// folded (see fold): lower case, simplified Chinese. In English terms a
// trailing "*" matches any ending ("rectif*": rectify, rectification); a
// term matches whole words only otherwise. In Chinese terms "…" stands for
// up to gapRunes characters ("删除…账号" matches 删除我的账号).
type keyword struct {
	typ    request.Type
	term   string
	weight float64
}

// gapRunes is how far apart the halves of a "…" term may be: far enough
// for 我的/您的平台上的, not so far that two sentences join.
const gapRunes = 8

var keywords = []keyword{
	{request.Access, "访问", medium},
	{request.Access, "查询", weak},
	{request.Access, "查阅", medium},
	{request.Access, "复制", medium},
	{request.Access, "副本", strong},
	{request.Access, "获取我的", medium},
	{request.Access, "查看我的", medium},
	{request.Access, "哪些个人信息", strong},
	{request.Access, "access", medium},
	{request.Access, "access to my", strong},
	{request.Access, "access my", strong},
	{request.Access, "subject access", strong},
	{request.Access, "sar", weak},
	{request.Access, "dsar", strong},
	{request.Access, "copy of my data", strong},
	{request.Access, "copy of my personal", strong},
	{request.Access, "copy of my information", strong},
	{request.Access, "copy of the data", strong},
	{request.Access, "copy of the personal", strong},
	{request.Access, "copy of all", medium},
	{request.Access, "what data", medium},
	{request.Access, "what personal data", strong},
	{request.Access, "what information", medium},

	{request.Correction, "更正", strong},
	{request.Correction, "纠正", strong},
	{request.Correction, "修正", strong},
	{request.Correction, "修改", medium},
	{request.Correction, "补充", weak},
	{request.Correction, "有误", medium},
	{request.Correction, "不准确", medium},
	{request.Correction, "correct", weak},
	{request.Correction, "correction", strong},
	{request.Correction, "rectif*", strong},
	{request.Correction, "update my", medium},
	{request.Correction, "inaccurate", medium},
	{request.Correction, "incorrect", medium},

	{request.Deletion, "删除", strong},
	{request.Deletion, "删掉", strong},
	{request.Deletion, "清除", medium},
	{request.Deletion, "delet*", strong},
	{request.Deletion, "erase", strong},
	{request.Deletion, "erased", strong},
	{request.Deletion, "erasure", strong},
	{request.Deletion, "remove my", medium},
	{request.Deletion, "right to be forgotten", strong},

	{request.Portability, "携带", strong},
	{request.Portability, "转移", medium},
	{request.Portability, "导出", medium},
	{request.Portability, "portab*", strong},
	{request.Portability, "transfer my data", strong},
	{request.Portability, "transfer my personal", strong},
	{request.Portability, "export", medium},
	{request.Portability, "machine-readable", medium},
	{request.Portability, "machine readable", medium},

	// The account phrases are longer than "删除"/"delete", so they take
	// the words first: deleting an account is a cancellation.
	{request.AccountCancellation, "注销", strong},
	{request.AccountCancellation, "销户", strong},
	{request.AccountCancellation, "删除…账号", strong},
	{request.AccountCancellation, "删除…账户", strong},
	{request.AccountCancellation, "关闭…账号", strong},
	{request.AccountCancellation, "关闭…账户", strong},
	{request.AccountCancellation, "close my account", strong},
	{request.AccountCancellation, "cancel my account", strong},
	{request.AccountCancellation, "delete my account", strong},
	{request.AccountCancellation, "deactivate my account", strong},
	{request.AccountCancellation, "account deletion", strong},
	{request.AccountCancellation, "account closure", strong},

	{request.Restriction, "限制处理", strong},
	{request.Restriction, "暂停处理", strong},
	{request.Restriction, "限制…使用", medium},
	{request.Restriction, "restrict processing", strong},
	{request.Restriction, "restrict the processing", strong},
	{request.Restriction, "restriction of processing", strong},
	{request.Restriction, "restrict*", medium},

	{request.Objection, "反对", strong},
	{request.Objection, "拒绝…营销", strong},
	{request.Objection, "拒绝…推送", strong},
	{request.Objection, "拒绝…广告", strong},
	{request.Objection, "object to", strong},
	{request.Objection, "i object", strong},
	{request.Objection, "objection", strong},
	{request.Objection, "opt out", strong},
	{request.Objection, "opt-out", strong},
	{request.Objection, "direct marketing", medium},

	// Unsubscribing is a consent withdrawal: marketing mail runs on consent
	// under both PIPL and the ePrivacy rules. It is weak because every
	// newsletter footer says it.
	{request.ConsentWithdrawal, "撤回同意", strong},
	{request.ConsentWithdrawal, "撤销同意", strong},
	{request.ConsentWithdrawal, "撤回…同意", strong},
	{request.ConsentWithdrawal, "撤销授权", strong},
	{request.ConsentWithdrawal, "撤回授权", strong},
	{request.ConsentWithdrawal, "取消授权", strong},
	{request.ConsentWithdrawal, "退订", weak},
	{request.ConsentWithdrawal, "withdraw consent", strong},
	{request.ConsentWithdrawal, "withdraw my consent", strong},
	{request.ConsentWithdrawal, "withdrawing my consent", strong},
	{request.ConsentWithdrawal, "withdrawal of consent", strong},
	{request.ConsentWithdrawal, "withdrawal of my consent", strong},
	{request.ConsentWithdrawal, "revoke my consent", strong},
	{request.ConsentWithdrawal, "revoke consent", strong},
	{request.ConsentWithdrawal, "unsubscribe", weak},

	{request.Complaint, "投诉", strong},
	{request.Complaint, "举报", strong},
	{request.Complaint, "申诉", medium},
	{request.Complaint, "complain*", strong},

	// Phrases that are no request but hold a keyword: matched first, they
	// use the words up. "SAR" is also what Hong Kong and Macao are.
	{"", "hong kong sar", 0},
	{"", "macao sar", 0},
	{"", "macau sar", 0},
	{"", "access my account", 0},
	{"", "access to my account", 0},
	{"", "access your website", 0},
}

// traditional maps the traditional characters of the keywords and quote
// markers to simplified ones, since Big5 mail from Taiwan and Hong Kong
// writes 刪除 and 註銷.
var traditional = map[rune]rune{
	'刪': '删', '訪': '访', '問': '问', '詢': '询', '閱': '阅', '製': '制', '複': '复',
	'獲': '获', '糾': '纠', '補': '补', '攜': '携', '帶': '带', '轉': '转', '導': '导',
	'註': '注', '銷': '销', '權': '权', '對': '对', '絕': '绝', '處': '处', '訴': '诉',
	'舉': '举', '報': '报', '資': '资', '訊': '讯', '個': '个', '號': '号', '帳': '账',
	'戶': '户', '關': '关', '閉': '闭', '訂': '订', '營': '营', '請': '请', '們': '们',
	'數': '数', '據': '据', '為': '为', '寫': '写', '郵': '邮', '發': '发', '時': '时',
	'間': '间', '題': '题', '錯': '错', '誤': '误', '確': '确', '遷': '迁', '廣': '广',
	'與': '与', '傳': '传', '檔': '档', '準': '准', '暫': '暂', '擋': '挡', '覆': '复',
	'讀': '读', '見': '见', '類': '类', '項': '项',
}

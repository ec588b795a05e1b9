package console

import (
	"net/http"
	"strings"
)

// Lang is a language of the console: "en" or "zh-CN".
type Lang string

const (
	English Lang = "en"
	Chinese Lang = "zh-CN"
)

// Langs lists the console's languages; every message has each of them.
var Langs = []Lang{English, Chinese}

// langCookie remembers the language a user switched to; it beats the
// browser's Accept-Language.
const langCookie = "dsr_console_lang"

// pickLang chooses the language for a request: the switch, else the
// browser's first supported preference, else English.
func pickLang(r *http.Request) Lang {
	if c, err := r.Cookie(langCookie); err == nil {
		if l, ok := parseLang(c.Value); ok {
			return l
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if l, ok := parseLang(tag); ok {
			return l
		}
	}
	return English
}

// parseLang reads a language tag loosely: zh, zh-CN, zh-Hans all mean the
// Chinese labels, en-GB the English ones.
func parseLang(tag string) (Lang, bool) {
	tag = strings.ToLower(strings.TrimSpace(tag))
	switch {
	case tag == "zh" || strings.HasPrefix(tag, "zh-"):
		return Chinese, true
	case tag == "en" || strings.HasPrefix(tag, "en-"):
		return English, true
	}
	return "", false
}

// T is the label for key in l. A missing key shows itself in brackets, so a
// forgotten label is visible on the page and caught by the tests.
func (l Lang) T(key string) string {
	m, ok := messages[key]
	if !ok {
		return "[" + key + "]"
	}
	if l == Chinese {
		return m.zh
	}
	return m.en
}

// Enum labels a value of a vocabulary (status, type, channel …); a value
// the table does not know yet, say a new event kind, shows as it is.
func (l Lang) Enum(prefix, value string) string {
	if value == "" {
		return ""
	}
	if _, ok := messages[prefix+"."+value]; !ok {
		return value
	}
	return l.T(prefix + "." + value)
}

// Other is the language the switch offers.
func (l Lang) Other() Lang {
	if l == Chinese {
		return English
	}
	return Chinese
}

type msg struct{ en, zh string }

// messages is every label of the console in both languages.
var messages = map[string]msg{
	"app.title":                       {"DSR console", "数据主体请求控制台"},
	"lang.switch":                     {"中文", "English"},
	"nav.queue":                       {"Queue", "案件队列"},
	"nav.new":                         {"New request", "新建请求"},
	"nav.signout":                     {"Sign out", "退出"},
	"nav.calendars":                   {"Calendars", "日历"},
	"calendars.title":                 {"Working calendars", "工作日历"},
	"calendars.unknown":               {"No policy runs on calendar", "没有政策使用该日历："},
	"calendars.bad_year":              {"want a year such as 2026", "应为年份，例如 2026"},
	"calendars.version":               {"Version", "版本"},
	"calendars.policies":              {"Policies", "政策"},
	"calendars.date":                  {"Date", "日期"},
	"calendars.kind":                  {"Day", "类型"},
	"calendars.name":                  {"Holiday", "节假日"},
	"calendars.rest":                  {"rest day", "休息日"},
	"calendars.rest_weekend":          {"holiday on a weekend day", "周末的节假日"},
	"calendars.working":               {"make-up working day", "调休上班"},
	"calendars.none":                  {"No holidays and no make-up working days this year.", "本年度无节假日，也无调休上班日。"},
	"nav.signed_in_as":                {"Signed in as", "当前用户"},
	"signin.title":                    {"Sign in", "登录"},
	"signin.key":                      {"Staff API key", "员工 API 密钥"},
	"signin.name":                     {"Your name (shown in the audit trail)", "您的姓名（记入审计记录）"},
	"signin.submit":                   {"Sign in", "登录"},
	"signin.bad_key":                  {"This API key is unknown or revoked.", "此 API 密钥无效或已吊销。"},
	"signin.bad_role":                 {"This key's role may not use the console (admin, dpo or auditor only).", "此密钥的角色无权使用控制台（仅限 admin、dpo、auditor）。"},
	"signin.expired":                  {"Your session has ended; sign in again.", "会话已结束，请重新登录。"},
	"signin.unavail":                  {"The key cannot be checked now; try again shortly.", "暂时无法校验密钥，请稍后重试。"},
	"signin.throttled":                {"Too many sign-in attempts from here; wait a minute and try again.", "此处登录尝试过多，请稍候一分钟再试。"},
	"signin.help":                     {"Create a key with: dsr apikey create --role dpo --tenant TENANT --name NAME", "创建密钥：dsr apikey create --role dpo --tenant 租户 --name 名称"},
	"csrf.refused":                    {"The form was not sent from this console, or it is too old. Reload the page and try again.", "表单并非来自本控制台或已过期，请刷新页面后重试。"},
	"queue.title":                     {"Case queue", "案件队列"},
	"queue.open":                      {"Open", "未结案件"},
	"queue.overdue":                   {"Overdue", "已逾期"},
	"queue.due_week":                  {"Due within 7 days", "7 天内到期"},
	"queue.empty":                     {"No cases match.", "没有符合条件的案件。"},
	"queue.more":                      {"Next page", "下一页"},
	"queue.filter":                    {"Filter", "筛选"},
	"queue.clear":                     {"Clear", "清除"},
	"queue.any":                       {"any", "全部"},
	"queue.open_only":                 {"open cases", "未结案件"},
	"col.reference":                   {"Reference", "编号"},
	"col.requester":                   {"Requester", "请求人"},
	"col.tenant":                      {"Tenant", "租户"},
	"col.type":                        {"Type", "类型"},
	"col.channel":                     {"Channel", "渠道"},
	"col.status":                      {"Status", "状态"},
	"col.policy":                      {"Policy", "政策"},
	"col.due":                         {"Due", "截止日期"},
	"col.days_left":                   {"Days left", "剩余天数"},
	"col.assignee":                    {"Assignee", "负责人"},
	"col.received":                    {"Received", "收到时间"},
	"days.working":                    {"working days", "个工作日"},
	"days.calendar":                   {"days", "天"},
	"days.overdue":                    {"overdue", "已逾期"},
	"days.due_soon":                   {"due soon", "即将到期"},
	"days.none":                       {"not started", "未开始计时"},
	"filter.overdue":                  {"Overdue only", "仅逾期"},
	"filter.due_before":               {"Due before", "截止早于"},
	"filter.reference":                {"Reference", "编号"},
	"chart.open_title":                {"Open cases by days left", "未结案件（按剩余天数）"},
	"chart.closed_title":              {"Closed per week, on-time rate", "每周结案数与按时率"},
	"chart.closed_by_due":             {"Cases with no closing date on record count in their due date's week.", "无结案日期记录的案件按截止日期所在周统计。"},
	"chart.empty":                     {"No cases yet.", "暂无案件。"},
	"chart.on_time":                   {"on time", "按时"},
	"chart.no_due":                    {"no date", "无日期"},
	"chart.cases":                     {"cases", "件"},
	"chart.week_of":                   {"week of", "周起"},
	"new.title":                       {"New request (phone, post or in person)", "新建请求（电话、信函或当面）"},
	"new.tenant":                      {"Tenant", "租户"},
	"new.jurisdiction":                {"Jurisdiction", "适用法域"},
	"new.policy":                      {"Policy", "处理时限政策"},
	"new.type":                        {"Request type", "请求类型"},
	"new.channel":                     {"Received by", "收到渠道"},
	"new.received_at":                 {"Received at (empty: now)", "收到时间（留空为现在）"},
	"new.name":                        {"Requester's name", "请求人姓名"},
	"new.email":                       {"E-mail", "电子邮箱"},
	"new.phone":                       {"Phone", "电话"},
	"new.account":                     {"Account ID", "账号 ID"},
	"new.language":                    {"Language for notices", "通知语言"},
	"new.acting_for":                  {"Acting for", "代理关系"},
	"new.details":                     {"What the requester asked for", "请求内容"},
	"new.preview":                     {"Show the deadline", "预览截止日期"},
	"new.submit":                      {"Open the case", "创建案件"},
	"new.deadline":                    {"Deadline if opened now", "如现在创建，截止日期为"},
	"new.deadline_after_verification": {"The clock starts when identity is verified; verification due by", "计时自身份核验完成时开始；身份核验截止"},
	"new.ack_by":                      {"Acknowledge by", "确认收到截止"},
	"new.max_extended":                {"Latest date with extensions", "延期后最晚日期"},
	"new.opened":                      {"Case opened", "案件已创建"},
	"jur.cn":                          {"China (PIPL)", "中国（个人信息保护法）"},
	"jur.eu":                          {"European Union (GDPR)", "欧盟（GDPR）"},
	"jur.uk":                          {"United Kingdom", "英国"},
	"jur.us-ca":                       {"California (CCPA)", "美国加州（CCPA）"},
	"jur.br":                          {"Brazil (LGPD)", "巴西（LGPD）"},
	"jur.other":                       {"Other", "其他"},
	"case.requester":                  {"Requester", "请求人"},
	"case.details":                    {"Case", "案件"},
	"case.deadline":                   {"Deadline", "截止日期"},
	"case.extensions":                 {"Extensions", "延期记录"},
	"case.no_extensions":              {"None", "无"},
	"case.ext_from_to":                {"from → to", "原 → 新"},
	"case.reason":                     {"Reason", "理由"},
	"case.by":                         {"By", "操作人"},
	"case.at":                         {"At", "时间"},
	"case.timeline":                   {"Timeline (audit trail)", "时间线（审计记录）"},
	"case.timeline_hint":              {"In the order the trail recorded the events (#). The first time is when it happened, which can be earlier than the event above: work is recorded after it is done.", "按审计记录的登记顺序（#）排列。第一个时间为事件发生时间，可能早于上一条：工作完成后才登记。"},
	"case.recorded":                   {"recorded", "登记于"},
	"case.notices":                    {"Notices", "已发送通知"},
	"case.no_notices":                 {"No notices yet.", "尚无通知。"},
	"case.fulfilment":                 {"Fulfilment", "请求执行情况"},
	"case.no_fulfilment":              {"The engine does no connector work for this case (yet); staff complete it.", "引擎（尚）未对此案件执行连接器处理，由员工办结。"},
	"case.tasks":                      {"Manual tasks", "人工任务"},
	"case.no_tasks":                   {"No manual tasks.", "无人工任务。"},
	"case.corrections":                {"Corrections", "更正项"},
	"case.attachments":                {"Attachments", "附件"},
	"case.no_attachments":             {"No attachments.", "无附件。"},
	"case.actions":                    {"Actions", "操作"},
	"case.verification":               {"Identity verification", "身份核验"},
	"case.verify_by":                  {"Verify by", "核验截止"},
	"case.verified_at":                {"Verified at", "核验时间"},
	"case.received_at":                {"Received at", "收到时间"},
	"case.closed_at":                  {"Closed at", "结案时间"},
	"case.outcome":                    {"Outcome", "结果"},
	"case.summary":                    {"Summary", "处理摘要"},
	"case.info_needed":                {"Information asked for", "所需补充信息"},
	"case.tags":                       {"Tags", "标签"},
	"case.source_store":               {"The workflow engine did not answer; this is the store's last copy.", "工作流引擎未响应，以下为数据库中的最近副本。"},
	"case.done":                       {"Done.", "已完成。"},
	"case.extended":                   {"extended", "已延期"},
	"case.deadline_problem":           {"No deadline yet", "暂无截止日期"},
	"case.acting_for":                 {"Acting for", "代理关系"},
	"case.language":                   {"Language", "语言"},
	"case.codes_sent":                 {"codes sent", "已发验证码"},
	"case.failed_attempts":            {"failed attempts", "失败次数"},
	"case.locked":                     {"locked", "已锁定"},
	"case.method":                     {"Method", "方式"},
	"case.opened_by":                  {"Opened by key", "创建密钥"},
	"field.note":                      {"Note", "备注"},
	"field.reason":                    {"Reason", "理由"},
	"field.amount":                    {"Amount (empty: the policy's maximum)", "延期时长（留空为政策上限）"},
	"field.explanation":               {"Explanation for the requester", "给请求人的说明"},
	"field.summary":                   {"Summary for the requester", "给请求人的处理摘要"},
	"field.assignee":                  {"Assignee (empty: back to the queue)", "负责人（留空退回队列）"},
	"field.evidence":                  {"Evidence", "完成凭证"},
	"field.info":                      {"What information is needed", "需要补充的信息"},
	"field.type":                      {"Type", "类型"},
	"field.approve":                   {"Approve", "批准"},
	"field.reject":                    {"Reject", "驳回"},
	"act.verify":                      {"Verify identity (manual)", "人工核验身份"},
	"act.verify_help":                 {"Say what evidence you reviewed.", "请说明核查了哪些证明材料。"},
	"act.resend-code":                 {"Send a new code", "重新发送验证码"},
	"act.request-info":                {"Ask for information", "要求补充信息"},
	"act.info-received":               {"Information received", "已收到补充信息"},
	"act.extend":                      {"Extend the deadline", "延长期限"},
	"act.deny":                        {"Deny", "拒绝请求"},
	"act.complete":                    {"Complete", "完成并结案"},
	"act.withdraw":                    {"Withdrawn by the requester", "请求人撤回"},
	"act.classify":                    {"Set the type", "设置类型"},
	"act.assign":                      {"Assign", "分配"},
	"act.note":                        {"Add a note", "添加备注"},
	"act.complete-task":               {"Mark task done", "标记任务完成"},
	"act.decide-corrections":          {"Decide corrections", "审批更正"},
	"problem.refused":                 {"The case refused this action:", "案件拒绝了此操作："},
	"problem.invalid":                 {"Some fields are not right:", "部分字段有误："},
	"problem.forbidden":               {"Your key's role may not do this.", "您的密钥角色无权执行此操作。"},
	"problem.not_found":               {"Not found (or this action does not exist yet).", "未找到（或此操作尚未提供）。"},
	"problem.unavailable":             {"The engine cannot do this now; try again shortly.", "系统暂时无法处理，请稍后重试。"},
	"problem.too_many":                {"Too many attempts; wait a moment.", "尝试次数过多，请稍候。"},
	"problem.other":                   {"The request failed:", "请求失败："},
	"task.owner":                      {"Owner", "负责人"},
	"task.instructions":               {"Instructions", "说明"},
	"task.status":                     {"Status", "状态"},
	"step.connector":                  {"Connector", "连接器"},
	"step.operation":                  {"Operation", "操作"},
	"step.detail":                     {"Detail", "详情"},
	"corr.field":                      {"Field", "字段"},
	"corr.value":                      {"New value", "新值"},
	"corr.decision":                   {"Decision", "决定"},
	"event.actor":                     {"Actor", "操作人"},
	"notice.kind":                     {"Notice", "通知"},
	"notice.channel":                  {"Channel", "渠道"},
	"notice.recipient":                {"To", "收件人"},
	"notice.result":                   {"Result", "结果"},
	"notice.sent":                     {"sent", "已发送"},
	"notice.failed":                   {"failed", "发送失败"},
	"notice.not_sent":                 {"not sent", "未发送"},
	"new.corrections":                 {"Corrections asked for", "要求更正的内容"},
	"new.corrections_help":            {"One row per item: the field as dataset.column (e.g. customers.phone) and the value the requester says is right. Empty rows are ignored.", "每行一项：字段写作 数据集.列（如 customers.phone），值为请求人所述的正确内容。空行将被忽略。"},
	"new.corr_field":                  {"Field (dataset.column)", "字段（数据集.列）"},
	"new.corr_value":                  {"Correct value", "正确的值"},
	"new.add_row":                     {"Add a row", "添加一行"},
	"new.grounds":                     {"Grounds", "请求理由"},
	"new.grounds_help":                {"Why the requester wants the data deleted", "请求人要求删除的理由"},
	"new.grounds_none":                {"Not stated", "未说明"},
	"new.controller":                  {"Receiving controller", "接收方"},
	"new.controller_help":             {"Optional: the organisation to send the data to directly, as configured (empty: the requester downloads it)", "可选：直接向其传输数据的接收方（须已配置；留空则由请求人自行下载）"},
	"case.grounds":                    {"Grounds", "请求理由"},
	"case.controller":                 {"Receiving controller", "接收方"},
	"case.fulfilment_unknown":         {"The store's copy does not hold the connector work; it shows when the engine answers.", "数据库副本不含连接器处理记录；引擎响应后即可显示。"},
	"case.erasures":                   {"Erasure", "删除结果"},
	"case.backups_clear_by":           {"Backup copies roll off by", "备份副本清除日期"},
	"case.backups_help":               {"until then they are restricted from processing", "在此之前备份中的数据已限制处理"},
	"case.export":                     {"Data export", "数据副本"},
	"case.transfer":                   {"Direct transfer", "直接传输"},
	"case.cancellation":               {"Account cancellation", "账号注销"},
	"task.opened_at":                  {"opened", "创建于"},
	"task.reason":                     {"Why", "原因"},
	"field.evidence_help":             {"Ticket, log line, who did it", "工单号、日志或执行人"},
	"corr.reason_help":                {"Reason (required to reject; the requester is told it)", "理由（驳回时必填，将告知请求人）"},
	"corr.help":                       {"Undecided rows stay pending; approved corrections are applied once every row is decided.", "未决定的项保持待审批；全部决定后才会执行已批准的更正。"},
	"corr.applied":                    {"applied", "已执行"},
	"corr.not_applied":                {"not applied yet", "尚未执行"},
	"corr.rows":                       {"rows changed", "更改行数"},
	"erase.dataset":                   {"Dataset", "数据集"},
	"erase.strategy":                  {"How", "方式"},
	"erase.erased":                    {"Rows erased", "已删除行数"},
	"erase.held":                      {"Held (restricted)", "保留（已限制处理）"},
	"erase.held_until":                {"until", "至"},
	"export.rows":                     {"Rows", "行数"},
	"export.size":                     {"Size", "大小"},
	"export.sha256":                   {"SHA-256", "SHA-256 校验值"},
	"export.created":                  {"Created", "生成时间"},
	"export.expires":                  {"Download link valid until", "下载链接有效期至"},
	"export.expired":                  {"expired", "已过期"},
	"export.no_link":                  {"No link sent yet", "尚未发送链接"},
	"export.issue_help":               {"Sends the requester a new link, valid 7 days.", "向请求人发送新链接，有效期 7 天。"},
	"export.closed_help":              {"The case is closed: the engine no longer sends fresh links for it.", "案件已结案：引擎不再为其发送新链接。"},
	"transfer.controller":             {"To", "接收方"},
	"transfer.outcome":                {"Outcome", "结果"},
	"transfer.done":                   {"transferred", "已传输"},
	"transfer.not_done":               {"not transferred", "未传输"},
	"transfer.status":                 {"Their answer", "对方响应"},
	"cancel.obstacles":                {"To settle first", "需先处理的事项"},
	"cancel.no_obstacles":             {"Nothing", "无"},
	"cancel.confirmed_at":             {"Confirmed by the requester", "请求人确认时间"},
	"cancel.awaiting_confirmation":    {"waiting for the requester to confirm", "等待请求人确认"},
	"cancel.not_yet":                  {"not yet", "尚未"},
	"cancel.cooling_off_until":        {"Cooling-off period ends", "冷静期结束"},
	"cancel.revoked":                  {"Revoked by the requester", "请求人已撤销"},
	"cancel.deactivated_at":           {"Account deactivated", "账号停用时间"},
	"cancel.recheck_note":             {"What the requester says they settled", "请求人所述已处理的事项"},
	"cancel.on_behalf":                {"Only on the requester's own word (by phone, in person): the cancellation becomes permanent after the cooling-off period.", "仅在请求人亲口确认时使用（电话、当面）：冷静期结束后注销不可撤回。"},
	"cancel.how_confirmed":            {"How the requester confirmed", "请求人确认的方式"},
	"cancel.revoke_help":              {"The requester changed their mind: the account stays and the case is withdrawn.", "请求人改变主意：保留账号，案件撤回。"},
	"cancel.how_revoked":              {"How the requester revoked", "请求人撤销的方式"},
	"act.issue-link":                  {"Send a fresh download link", "重新发送下载链接"},
	"act.recheck":                     {"Check the account again", "重新检查账号"},
	"act.confirm-cancellation":        {"Confirm the cancellation for the requester", "代请求人确认注销"},
	"act.revoke-cancellation":         {"Revoke the cancellation for the requester", "代请求人撤销注销"},
	"yes":                             {"yes", "是"},
	"no":                              {"no", "否"},

	"status.received":             {"Received", "已收到"},
	"status.pending_verification": {"Pending verification", "待核验身份"},
	"status.in_progress":          {"In progress", "处理中"},
	"status.awaiting_requester":   {"Awaiting requester", "等待请求人"},
	"status.completed":            {"Completed", "已完成"},
	"status.denied":               {"Denied", "已拒绝"},
	"status.withdrawn":            {"Withdrawn", "已撤回"},

	"type.access":               {"Access", "查阅"},
	"type.correction":           {"Correction", "更正"},
	"type.deletion":             {"Deletion", "删除"},
	"type.portability":          {"Portability", "转移（可携带）"},
	"type.account_cancellation": {"Account cancellation", "注销账号"},
	"type.restriction":          {"Restriction", "限制处理"},
	"type.objection":            {"Objection", "反对处理"},
	"type.consent_withdrawal":   {"Consent withdrawal", "撤回同意"},
	"type.complaint":            {"Complaint", "投诉"},
	"type.unclassified":         {"Unclassified", "未分类"},

	"channel.api":       {"API", "API"},
	"channel.portal":    {"Portal", "门户"},
	"channel.email":     {"E-mail", "电子邮件"},
	"channel.phone":     {"Phone", "电话"},
	"channel.mail":      {"Post", "信函"},
	"channel.in_app":    {"In app", "应用内"},
	"channel.in_person": {"In person", "当面"},

	"acting.self":              {"Themselves", "本人"},
	"acting.guardian_of_minor": {"A minor (guardian)", "未成年人（监护人）"},
	"acting.authorised_agent":  {"Someone else (authorised agent)", "他人（授权代理）"},

	"ground.unlawful_processing":     {"Processed unlawfully", "违法处理个人信息"},
	"ground.no_consent":              {"Consent withdrawn or never given", "未取得或已撤回同意"},
	"ground.breach_of_agreement":     {"Processing breaches the agreement", "违反约定处理个人信息"},
	"ground.no_longer_using_service": {"No longer uses the service", "不再使用服务"},
	"ground.service_ended":           {"The service has ended", "已停止提供服务"},
	"ground.other":                   {"Other", "其他"},

	"op.access":     {"Collect", "收集"},
	"op.erase":      {"Erase", "删除"},
	"op.correct":    {"Correct", "更正"},
	"op.check":      {"Check account", "检查账号"},
	"op.deactivate": {"Deactivate", "停用账号"},

	"stepstatus.running": {"running", "进行中"},
	"stepstatus.done":    {"done", "已完成"},
	"stepstatus.failed":  {"failed", "失败"},
	"stepstatus.manual":  {"by hand", "人工处理"},
	"stepstatus.held":    {"partly held", "部分保留"},
	"stepstatus.skipped": {"not offered", "不适用"},

	"vmethod.code":   {"one-time code", "一次性验证码"},
	"vmethod.portal": {"signed in to the portal", "门户登录"},
	"vmethod.manual": {"by staff", "员工人工核验"},

	"taskstatus.open": {"open", "待处理"},
	"taskstatus.done": {"done", "已完成"},

	"decision.pending":  {"pending", "待审批"},
	"decision.approved": {"approved", "已批准"},
	"decision.rejected": {"rejected", "已驳回"},

	"strategy.delete": {"deleted", "删除"},
	"strategy.null":   {"blanked", "置空"},
	"strategy.hash":   {"keyed hash", "密钥哈希"},
	"strategy.fixed":  {"fixed value", "固定值替换"},
	"strategy.mask":   {"masked", "脱敏"},

	"language.zh-CN": {"Chinese", "中文"},
	"language.en":    {"English", "英文"},

	"deny.not_entitled":          {"Not entitled", "无权提出"},
	"deny.identity_unverified":   {"Identity not verified", "身份未核验"},
	"deny.unfounded_or_repeated": {"Unfounded or repeated", "明显无根据或重复"},
	"deny.out_of_scope":          {"Out of scope", "超出范围"},
	"deny.dispute_harm":          {"Would harm a dispute", "影响争议处理"},
	"deny.statistics_only":       {"Statistics only", "仅用于统计"},
	"deny.national_security":     {"National security", "国家安全"},
	"deny.public_interest":       {"Public interest", "公共利益"},
	"deny.criminal_proceedings":  {"Criminal proceedings", "刑事侦查"},
	"deny.abuse_of_rights":       {"Abuse of rights", "滥用权利"},
	"deny.harm_to_others":        {"Harm to others", "损害他人权益"},
	"deny.trade_secret":          {"Trade secret", "商业秘密"},
	"deny.other_legal_ground":    {"Other legal ground", "其他法定理由"},

	"noticekind.acknowledgement":        {"Acknowledgement", "受理确认"},
	"noticekind.verification_code":      {"Verification code", "验证码"},
	"noticekind.extension":              {"Extension", "延期通知"},
	"noticekind.denial":                 {"Denial", "拒绝通知"},
	"noticekind.identity_unverified":    {"Identity not verified", "身份未核验通知"},
	"noticekind.info_request":           {"Request for information", "补充信息请求"},
	"noticekind.completion":             {"Completion", "办结通知"},
	"noticekind.withdrawn":              {"Withdrawal confirmed", "撤回确认"},
	"noticekind.reminder":               {"Reminder (staff)", "到期提醒（员工）"},
	"noticekind.overdue":                {"Overdue (staff)", "逾期提醒（员工）"},
	"noticekind.deadline_unknown":       {"Deadline unknown (staff)", "截止日期未知（员工）"},
	"noticekind.message_received":       {"Message received", "收到来信确认"},
	"noticekind.export_ready":           {"Export ready", "数据副本已就绪"},
	"noticekind.task_assigned":          {"Task assigned (staff)", "任务分配（员工）"},
	"noticekind.task_reminder":          {"Task reminder (staff)", "任务提醒（员工）"},
	"noticekind.corrections_pending":    {"Corrections to decide (staff)", "待审批更正（员工）"},
	"noticekind.cancellation_obstacles": {"Cancellation obstacles", "注销障碍通知"},
	"noticekind.cancellation_confirm":   {"Cancellation confirmation", "注销确认"},

	"event.case.opened":                   {"Case opened", "案件创建"},
	"event.case.verified":                 {"Identity verified", "身份已核验"},
	"event.case.extended":                 {"Deadline extended", "期限已延长"},
	"event.case.completed":                {"Completed", "已完成"},
	"event.case.denied":                   {"Denied", "已拒绝"},
	"event.case.withdrawn":                {"Withdrawn", "已撤回"},
	"event.case.assigned":                 {"Assigned", "已分配"},
	"event.case.noted":                    {"Note", "备注"},
	"event.case.tagged":                   {"Tagged", "已加标签"},
	"event.case.classified":               {"Type set", "已分类"},
	"event.case.personal_data_removed":    {"Personal data removed (retention)", "个人信息已删除（保存期满）"},
	"event.email.received":                {"E-mail received", "收到邮件"},
	"event.info.requested":                {"Information requested", "已要求补充信息"},
	"event.info.received":                 {"Information received", "已收到补充信息"},
	"event.notice.sent":                   {"Notice sent", "通知已发送"},
	"event.notice.failed":                 {"Notice failed", "通知发送失败"},
	"event.notice.not_sent":               {"Notice not sent", "通知未发送"},
	"event.sla.scheduled":                 {"Deadline set", "已设定截止日期"},
	"event.sla.reminder":                  {"Deadline reminder", "到期提醒"},
	"event.sla.breached":                  {"Deadline missed", "已超期"},
	"event.sla.unknown":                   {"Deadline cannot be computed", "无法计算截止日期"},
	"event.verification.code_sent":        {"Code sent", "验证码已发送"},
	"event.verification.code_failed":      {"Code could not be sent", "验证码发送失败"},
	"event.verification.failed":           {"Wrong code", "验证码错误"},
	"event.verification.locked":           {"Code verification locked", "验证码核验已锁定"},
	"event.fulfilment.running":            {"Connector started", "连接器开始处理"},
	"event.fulfilment.done":               {"Connector done", "连接器处理完成"},
	"event.fulfilment.failed":             {"Connector failed", "连接器处理失败"},
	"event.fulfilment.manual":             {"Handled by hand", "人工处理"},
	"event.fulfilment.held":               {"Connector done, some rows held", "连接器完成，部分数据保留"},
	"event.fulfilment.skipped":            {"Connector skipped", "连接器跳过"},
	"event.fulfilment.awaiting_requester": {"Waiting for the requester", "等待请求人"},
	"event.task.opened":                   {"Manual task opened", "人工任务已创建"},
	"event.task.completed":                {"Manual task done", "人工任务已完成"},
	"event.corrections.requested":         {"Corrections to decide", "待审批更正"},
	"event.correction.approved":           {"Correction approved", "更正已批准"},
	"event.correction.rejected":           {"Correction rejected", "更正已驳回"},
	"event.export.created":                {"Export created", "数据副本已生成"},
	"event.export.link_issued":            {"Download link sent", "下载链接已发送"},
	"event.export.transfer":               {"Direct transfer", "直接传输"},
	"event.erasure.scheduled":             {"Erasure of held data scheduled", "已安排删除保留数据"},
	"event.erasure.held_erased":           {"Held data erased", "保留数据已删除"},
	"event.account.deactivated":           {"Account deactivated", "账号已停用"},
	"event.cancellation.confirmed":        {"Cancellation confirmed", "注销已确认"},
	"event.cancellation.recheck":          {"Account checked again", "已重新检查账号"},
}

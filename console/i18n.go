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
	"nav.signed_in_as":                {"Signed in as", "当前用户"},
	"signin.title":                    {"Sign in", "登录"},
	"signin.key":                      {"Staff API key", "员工 API 密钥"},
	"signin.name":                     {"Your name (shown in the audit trail)", "您的姓名（记入审计记录）"},
	"signin.submit":                   {"Sign in", "登录"},
	"signin.bad_key":                  {"This API key is unknown or revoked.", "此 API 密钥无效或已吊销。"},
	"signin.bad_role":                 {"This key's role may not use the console (admin, dpo or auditor only).", "此密钥的角色无权使用控制台（仅限 admin、dpo、auditor）。"},
	"signin.expired":                  {"Your session has ended; sign in again.", "会话已结束，请重新登录。"},
	"signin.unavail":                  {"The key cannot be checked now; try again shortly.", "暂时无法校验密钥，请稍后重试。"},
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
	"chart.closed_by_due":             {"Weeks are those of the due date: the queue does not give the closing date.", "按截止日期所在周统计：队列接口不提供结案日期。"},
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
	"case.notices":                    {"Notices", "已发送通知"},
	"case.no_notices":                 {"No notices yet.", "尚无通知。"},
	"case.fulfilment":                 {"Connector progress", "连接器进度"},
	"case.no_fulfilment":              {"No connector work for this case.", "此案件无连接器处理。"},
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

	"event.case.opened":                {"Case opened", "案件创建"},
	"event.case.verified":              {"Identity verified", "身份已核验"},
	"event.case.extended":              {"Deadline extended", "期限已延长"},
	"event.case.completed":             {"Completed", "已完成"},
	"event.case.denied":                {"Denied", "已拒绝"},
	"event.case.withdrawn":             {"Withdrawn", "已撤回"},
	"event.case.assigned":              {"Assigned", "已分配"},
	"event.case.noted":                 {"Note", "备注"},
	"event.case.tagged":                {"Tagged", "已加标签"},
	"event.case.classified":            {"Type set", "已分类"},
	"event.case.personal_data_removed": {"Personal data removed (retention)", "个人信息已删除（保存期满）"},
	"event.email.received":             {"E-mail received", "收到邮件"},
	"event.info.requested":             {"Information requested", "已要求补充信息"},
	"event.info.received":              {"Information received", "已收到补充信息"},
	"event.notice.sent":                {"Notice sent", "通知已发送"},
	"event.notice.failed":              {"Notice failed", "通知发送失败"},
	"event.notice.not_sent":            {"Notice not sent", "通知未发送"},
	"event.sla.scheduled":              {"Deadline set", "已设定截止日期"},
	"event.sla.reminder":               {"Deadline reminder", "到期提醒"},
	"event.sla.breached":               {"Deadline missed", "已超期"},
	"event.sla.unknown":                {"Deadline cannot be computed", "无法计算截止日期"},
	"event.verification.code_sent":     {"Code sent", "验证码已发送"},
	"event.verification.code_failed":   {"Code could not be sent", "验证码发送失败"},
	"event.verification.failed":        {"Wrong code", "验证码错误"},
	"event.verification.locked":        {"Code verification locked", "验证码核验已锁定"},
}

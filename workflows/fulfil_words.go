package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/request"
)

// words writes what fulfilment did, for the completion notice, in the
// requester's language.
type words struct{ zh bool }

func (r *run) words() words { return words{zh: r.st.Requester.Language == request.Chinese} }

func (w words) pick(zh, en string) string {
	if w.zh {
		return zh
	}
	return en
}

func (w words) exported(rows int64, systems int, expires string) string {
	return fmt.Sprintf(w.pick("我们从 %[2]d 个系统中导出了您的个人信息，共 %[1]d 条记录，已通过单独的邮件向您发送下载链接（有效期至 %[3]s）。",
		"We exported your personal data from %[2]d systems, %[1]d records in all, and sent you a download link in a separate message (valid until %[3]s)."),
		rows, systems, expires)
}

func (w words) byHand(systems []string) string {
	return fmt.Sprintf(w.pick("以下系统由工作人员人工处理：%s。", "Staff handled these systems by hand: %s."), strings.Join(systems, ", "))
}

func (w words) transferred(t Transfer) string {
	if t.Done {
		return fmt.Sprintf(w.pick("我们已按您的要求将数据直接传输给 %s。", "As you asked, we transferred the data directly to %s."), t.Controller)
	}
	return fmt.Sprintf(w.pick("我们未能将数据直接传输给 %s（%s），请使用下载链接获取数据后自行提供。",
		"We could not transfer the data directly to %s (%s); please use the download link and pass the data on yourself."),
		t.Controller, t.Reason)
}

func (w words) erased(f *Fulfilment, manual []string, date func(time.Time) string) string {
	var erased, held []string
	for _, e := range f.Erasures {
		name := e.Connector + "/" + e.Dataset
		if e.Erased > 0 {
			erased = append(erased, fmt.Sprintf("%s (%d)", name, e.Erased))
		}
		if e.Held > 0 && e.HeldUntil != nil {
			ground := e.Hold
			if ground == "" {
				ground = w.pick("法定保存期限", "a legal retention period")
			}
			until := date(*e.HeldUntil)
			if w.zh {
				held = append(held, fmt.Sprintf("%s：%d 条，依据“%s”保存至 %s", name, e.Held, ground, until))
			} else {
				held = append(held, fmt.Sprintf("%s: %d records, kept until %s under %s", name, e.Held, until, ground))
			}
		}
	}
	var out []string
	if len(erased) > 0 {
		out = append(out, fmt.Sprintf(w.pick("已删除或匿名化：%s。", "Erased or anonymised: %s."), strings.Join(erased, ", ")))
	} else {
		out = append(out, w.pick("我们的系统中没有需要删除的您的个人信息。", "We held no personal data of yours that needed erasing."))
	}
	if len(held) > 0 {
		out = append(out, fmt.Sprintf(w.pick("法律要求保存的数据已限制处理，并将在期限届满时删除：%s。",
			"Data the law requires us to keep is restricted from any further use and will be erased when that period ends: %s."),
			strings.Join(held, "; ")))
	}
	if len(manual) > 0 {
		out = append(out, w.byHand(manual))
	}
	if f.BackupsClearBy != nil {
		out = append(out, fmt.Sprintf(w.pick("备份中的副本已限制处理，将在 %s 前随备份轮换清除。",
			"Copies in backups are restricted and roll off by %s."), date(*f.BackupsClearBy)))
	}
	return strings.Join(out, " ")
}

func (w words) corrected(cs []CorrectionItem) string {
	var done, refused []string
	for _, c := range cs {
		switch c.Decision {
		case DecisionApproved:
			done = append(done, c.Field)
		case DecisionRejected:
			refused = append(refused, fmt.Sprintf("%s (%s)", c.Field, c.Reason))
		}
	}
	var out []string
	if len(done) > 0 {
		out = append(out, fmt.Sprintf(w.pick("已更正：%s。", "Corrected: %s."), strings.Join(done, ", ")))
	}
	if len(refused) > 0 {
		out = append(out, fmt.Sprintf(w.pick("未予更正：%s。", "Not corrected: %s."), strings.Join(refused, "; ")))
	}
	return strings.Join(out, " ")
}

func (w words) obstacles(os []connector.Obstacle) string {
	lines := make([]string, len(os))
	for i, o := range os {
		lines[i] = "- " + o.Message
	}
	return strings.Join(lines, "\n")
}

func (w words) cancelled() string {
	return w.pick("您的账号已注销。", "Your account has been cancelled.")
}

// rechecksStopped tells the requester that the daily checks ended, so
// that the obstacles notice's "we will check again" stays true.
func (w words) rechecksStopped(days int) string {
	return fmt.Sprintf(w.pick("我们已连续 %d 天每天核查您的账户，仍有事项待处理。此后我们不再每日自动核查：处理完毕后请回复本邮件告知我们，我们将随即重新核查。",
		"We have checked your account every day for %d days and something is still to be settled. We no longer check daily: once it is settled, reply to this message and we will check again straight away."), days)
}

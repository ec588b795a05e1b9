package intake

import (
	"github.com/dsrflow/dsrflow/request"
)

// neutralText is the answer to a message about a case from someone who
// may not be its requester: it says the message arrived and nothing else,
// no type, due date, organisation or requester, not even the reference,
// since the sender may have found it anywhere. Its subject is fixed, so
// that intake repeats no text of a stranger's (In-Reply-To threads it).
func neutralText(lang request.Language) (string, string) {
	if lang == request.Chinese {
		return "已收到您的邮件", "您好：\n\n我们已收到您的邮件，并已转交负责人员处理。如需答复，负责人员会与您联系。\n\n此邮件由系统自动发送。\n"
	}
	return "We received your message", "Hello,\n\nWe received your message and passed it on to the staff in charge. They will contact you if a reply is needed.\n\nThis message was sent automatically.\n"
}

// useLinkText asks the requester to verify through the link or the portal:
// a code they e-mailed back cannot be taken, since a From address proves
// nothing.
func useLinkText(lang request.Language, reference string) (string, string) {
	if lang == request.Chinese {
		return "请通过链接或门户验证您的请求 " + reference,
			"您好：\n\n我们收到了一封回复邮件，其中包含验证码。为保护您的请求，我们无法通过邮件回复确认验证码，该验证码未被使用。\n\n" +
				"请点击验证邮件中的链接，或在隐私门户中输入验证码，完成验证。如果这封回复不是您发送的，请忽略此邮件，您的请求不受影响。\n\n" +
				"请求编号：" + reference + "\n\n此邮件由系统自动发送。\n"
	}
	return "Please verify your request " + reference + " with the link or on the portal",
		"Hello,\n\nWe received a reply holding a verification code. To protect your request, codes cannot be confirmed by e-mail reply, and this one was not used.\n\n" +
			"Please use the link in the verification e-mail, or enter the code on the privacy portal. If you did not send that reply, ignore this message: your request is not affected.\n\n" +
			"Reference: " + reference + "\n\nThis message was sent automatically.\n"
}

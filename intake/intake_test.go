package intake

import (
	"errors"
	netmail "net/mail"
	"testing"
)

func TestMailbox(t *testing.T) {
	in := &Intake{Mailboxes: []Mailbox{
		{Address: "dpo@shop.example", Tenant: "shop", PolicyID: "gdpr"},
		{Address: "privacy@bank.example", Tenant: "bank", PolicyID: "cn-15wd"},
	}}
	if mb, err := in.mailbox([]string{"<PRIVACY@bank.example>"}, nil); err != nil || mb.Tenant != "bank" {
		t.Errorf("envelope recipient: %+v %v", mb, err)
	}
	if mb, err := in.mailbox(nil, []netmail.Address{{Address: "dpo@shop.example"}}); err != nil || mb.Tenant != "shop" {
		t.Errorf("To header: %+v %v", mb, err)
	}
	if _, err := in.mailbox([]string{"someone@else.example"}, nil); !errors.Is(err, ErrNoMailbox) {
		t.Errorf("unknown recipient: %v", err)
	}
	in.Mailboxes = append(in.Mailboxes, Mailbox{Tenant: "catch-all", PolicyID: "gdpr"})
	if mb, err := in.mailbox([]string{"someone@else.example"}, nil); err != nil || mb.Tenant != "catch-all" {
		t.Errorf("catch-all: %+v %v", mb, err)
	}
}

func TestLanguage(t *testing.T) {
	if language("Please delete my data") != "en" || language("Re: 请删除") != "zh-CN" {
		t.Error("language guessed wrong")
	}
}

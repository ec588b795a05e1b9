package export

import (
	"fmt"
	"strings"
)

// words are the summary's text in one language. The summary is plain text
// rather than HTML: it opens everywhere, and nothing in it can run.
type words struct {
	title, reference, prepared, timeFormat string
	intro, portable                        string
	total                                  func(rows int64, datasets int) string
	datasets                               string
	rows                                   func(n int64) string
	kinds, noKinds, files, listSep, colon  string
	filesTitle                             string
	fileLines                              [][2]string
}

var summaries = map[string]words{
	"en": {
		title:      "Your personal data",
		reference:  "Request reference: ",
		prepared:   "Prepared: ",
		timeFormat: "2 January 2006, 15:04 UTC",
		intro: "This archive holds a copy of the personal data we hold about you,\n" +
			"as it stood when it was prepared.",
		portable: "It is in a structured, commonly used and machine-readable format\n" +
			"(JSON and CSV): you may pass it on to another organisation, or ask us\n" +
			"to send it to them directly.",
		total: func(rows int64, datasets int) string {
			return fmt.Sprintf("In total: %s in %d dataset%s.", enRows(rows), datasets, plural(int64(datasets)))
		},
		datasets: "Datasets",
		rows:     enRows,
		kinds:    "Kinds of data: ", noKinds: "not stated", files: "Files: ", listSep: ", ", colon: ": ",
		filesTitle: "What the files are",
		fileLines: [][2]string{
			{"<system>/<dataset>.json", "The records of one dataset in JSON: one object per record,\n" +
				"mapping each column to its value; a missing value is null."},
			{"<system>/<dataset>.csv", "The same records as a table (CSV, UTF-8) that spreadsheet\n" +
				"programs such as Excel open. An empty cell is an empty or missing\n" +
				"value. Spreadsheets may reformat long numbers (ID or phone\n" +
				"numbers): the JSON file holds them exactly."},
			{ManifestName, "A machine-readable list of the datasets, their columns and\n" +
				"kinds of data, and the size and SHA-256 checksum of each file,\n" +
				"to check that nothing was altered."},
			{SummaryName, "This summary."},
		},
	},
	"zh-CN": {
		title:      "您的个人信息副本",
		reference:  "请求编号：",
		prepared:   "生成时间：",
		timeFormat: "2006年1月2日 15:04（UTC）",
		intro:      "本压缩包包含我们所持有的您的个人信息副本，内容截至上述生成时间。",
		portable: "数据采用结构化、通用且机器可读的格式（JSON 和 CSV），\n" +
			"您可以将其转交给其他机构，也可以要求我们直接传输给对方。",
		total: func(rows int64, datasets int) string {
			return fmt.Sprintf("共 %d 个数据集，%d 条记录。", datasets, rows)
		},
		datasets: "数据集",
		rows:     func(n int64) string { return fmt.Sprintf("%d 条记录", n) },
		kinds:    "数据类别：", noKinds: "未注明", files: "文件：", listSep: "、", colon: "：",
		filesTitle: "文件说明",
		fileLines: [][2]string{
			{"<系统>/<数据集>.json", "一个数据集的全部记录（JSON 格式）：每条记录一个对象，\n" +
				"列名对应取值；缺失的值为 null。"},
			{"<系统>/<数据集>.csv", "同样的记录，以表格形式保存（CSV，UTF-8 编码），\n" +
				"可用 Excel 等电子表格软件打开。空单元格表示值为空或缺失。\n" +
				"电子表格软件可能改变长数字（如身份证号、电话号码）的显示，\n" +
				"JSON 文件中的值是准确的。"},
			{ManifestName, "机器可读的清单：列出各数据集及其列和数据类别，\n" +
				"以及每个文件的大小和 SHA-256 校验值，用于核对文件未被改动。"},
			{SummaryName, "本说明。"},
		},
	},
}

func enRows(n int64) string { return fmt.Sprintf("%d record%s", n, plural(n)) }

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// summarize writes the summary of a package in its language.
func summarize(m Manifest) string {
	w := summaries[m.Language]
	var b strings.Builder
	b.WriteString(utf8BOM)
	b.WriteString(w.title + "\n" + strings.Repeat("=", 40) + "\n\n")
	b.WriteString(w.reference + m.Reference + "\n")
	b.WriteString(w.prepared + m.CreatedAt.UTC().Format(w.timeFormat) + "\n\n")
	b.WriteString(w.intro + "\n")
	if m.MachineReadable {
		b.WriteString(w.portable + "\n")
	}
	b.WriteString("\n" + w.total(m.Rows, len(m.Datasets)) + "\n\n")
	b.WriteString(w.datasets + "\n" + strings.Repeat("-", 40) + "\n")
	for i, d := range m.Datasets {
		fmt.Fprintf(&b, "%d. %s / %s%s%s\n", i+1, d.Connector, d.Name, w.colon, w.rows(d.Rows))
		kinds := w.noKinds
		if len(d.Categories) > 0 {
			kinds = strings.Join(d.Categories, w.listSep)
		}
		b.WriteString("   " + w.kinds + kinds + "\n")
		b.WriteString("   " + w.files + d.JSON + w.listSep + d.CSV + "\n")
	}
	b.WriteString("\n" + w.filesTitle + "\n" + strings.Repeat("-", 40) + "\n")
	for _, f := range w.fileLines {
		b.WriteString(f[0] + "\n   " + strings.ReplaceAll(f[1], "\n", "\n   ") + "\n")
	}
	return b.String()
}

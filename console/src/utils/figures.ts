// The annual work summary's figures (年度工作总结 汇总数据, R-12) in Chinese: every key the
// supervision service builds (services/supervision/domain/summaries.py `build`) has a label here;
// money (…_fen) is shown in 元 with two decimals and thousands separators.
import { yuan } from './format'

export const REPORT_KINDS: Record<string, string> = { agreement: '目标责任书', plan: '年度工作计划', results: '年度工作成果' }
export const REPORT_STATES: Record<string, string> = {
  submitted: '已提交待审核', accepted: '已通过', returned: '已退回', draft: '草稿', missing: '未提交',
}
export const TIMELINESS: Record<string, string> = { on_time: '按时提交', late: '逾期提交' }
export const RATINGS: Record<string, string> = { good: '好', fair: '一般', poor: '差' }
export const OUTPUTS: Record<string, string> = {
  rd_projects: '技术研发项目', problems_solved: '解决技术难题', patents: '专利', innovations: '技术革新',
  apprentices: '培养徒弟', promotions: '技能晋级', events: '交流活动', cooperations: '合作项目',
  competitions_judged: '竞赛评判', trainings_given: '开展培训', public_services: '公益服务',
}
/** The figures' sections (the first key of a path), in the order they are shown. */
export const SECTIONS: Record<string, string> = {
  year: '基本情况', studios: '工作室', reports: '年度报告', outputs: '工作成果', economic_benefit_fen: '工作成果',
  targets: '目标任务', inspections: '监督检查', funds: '资金',
}

const labels: Record<string, string> = {
  year: '年度',
  'studios.total': '工作室总数', 'studios.active': '其中：运行中', 'studios.revoked': '其中：已撤销',
  'inspections.inspected': '已检查工作室', 'inspections.not_inspected': '未检查工作室',
  'inspections.open_rectifications': '未完成整改事项',
  'targets.total': '目标任务总数', 'targets.met': '已完成目标任务',
  economic_benefit_fen: '经济效益（元）',
  'funds.city_received_fen': '本年收到市级资金（元）', 'funds.matching_received_fen': '本年收到配套资金（元）',
  'funds.spent_fen': '本年支出（元）', 'funds.cumulative_city_fen': '累计市级资金（元）',
  'funds.cumulative_matching_fen': '累计配套资金（元）', 'funds.matching_ratio': '累计配套比例（配套/市级）',
}
for (const [k, v] of Object.entries(RATINGS)) labels[`inspections.ratings.${k}`] = `检查评价为“${v}”`
for (const [kind, kl] of Object.entries(REPORT_KINDS)) {
  for (const [state, sl] of Object.entries(REPORT_STATES)) labels[`reports.${kind}.${state}`] = `${kl}：${sl}`
  if (kind !== 'agreement') for (const [t, tl] of Object.entries(TIMELINESS)) labels[`reports.timeliness.${kind}.${t}`] = `${kl}：${tl}`
}
for (const [k, v] of Object.entries(OUTPUTS)) labels[`outputs.${k}`] = `成果：${v}`
export const FIGURE_LABELS: Readonly<Record<string, string>> = labels

/** Keys shown by another row: the ratio in basis points is the 累计配套比例 row. */
export const SHOWN_ELSEWHERE = new Set(['funds.matching_ratio_bp'])

export interface FigureRow { key: string; section: string; label: string; value: string; labelled: boolean }

function show(key: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—'
  if (key.endsWith('_fen') && typeof value === 'number') return yuan(value)
  if (key === 'year') return String(value)
  if (typeof value === 'number') return value.toLocaleString('zh-CN')
  if (typeof value === 'boolean') return value ? '是' : '否'
  return String(value)
}

/** One row a figure (nested objects walked, their paths the keys); a source that did not answer
 * ({available: false, reason}) is one row saying so. A key without a label keeps its path as the
 * label and ``labelled: false`` (the browser test finds none). */
export function figureRows(figures: Record<string, unknown> | null | undefined): FigureRow[] {
  const rows: FigureRow[] = []
  const walk = (value: unknown, path: string[]) => {
    const key = path.join('.')
    const section = SECTIONS[path[0]] || path[0]
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const obj = value as Record<string, unknown>
      if (obj.available === false) {
        rows.push({ key, section, label: `${SECTIONS[path[0]] || key}数据`, value: `暂不可用：${obj.reason ?? ''}`, labelled: !!SECTIONS[path[0]] })
        return
      }
      for (const [k, v] of Object.entries(obj)) walk(v, [...path, k])
      return
    }
    if (SHOWN_ELSEWHERE.has(key)) return
    const label = FIGURE_LABELS[key]
    rows.push({ key, section, label: label || key, value: show(key, value), labelled: !!label })
  }
  for (const [k, v] of Object.entries(figures || {})) walk(v, [k])
  const order = Object.keys(SECTIONS)
  const rank = (r: FigureRow) => { const i = order.indexOf(r.key.split('.')[0]); return i < 0 ? order.length : i }
  return rows.map((r, i) => ({ r, i })).sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i).map(({ r }) => r)
}

/** The rows by section, in the order shown. */
export function bySection(rows: FigureRow[]): { section: string; rows: FigureRow[] }[] {
  const groups: { section: string; rows: FigureRow[] }[] = []
  for (const r of rows) {
    const last = groups[groups.length - 1]
    if (last && last.section === r.section) last.rows.push(r)
    else groups.push({ section: r.section, rows: [r] })
  }
  return groups
}

/** The studio rows' columns (工作室明细), in Chinese, with their values shown. */
export const STUDIO_COLUMNS: { key: string; label: string; width?: number }[] = [
  { key: 'name', label: '工作室名称', width: 200 }, { key: 'studio_id', label: '工作室编号', width: 150 },
  { key: 'unit_name', label: '所在单位', width: 200 }, { key: 'state', label: '状态' },
  { key: 'agreement', label: '目标责任书' }, { key: 'plan', label: '年度计划' }, { key: 'plan_timeliness', label: '计划是否按时' },
  { key: 'results', label: '年度成果' }, { key: 'results_timeliness', label: '成果是否按时' },
  { key: 'inspected', label: '是否检查' }, { key: 'inspected_on', label: '检查日期', width: 110 },
  { key: 'rating', label: '检查评价' }, { key: 'open_rectifications', label: '未完成整改' },
  { key: 'funds.city_received_fen', label: '本年市级资金（元）', width: 150 },
  { key: 'funds.matching_received_fen', label: '本年配套资金（元）', width: 150 },
  { key: 'funds.spent_fen', label: '本年支出（元）', width: 140 }, { key: 'funds.matching_ratio', label: '累计配套比例', width: 120 },
  ...Object.entries(OUTPUTS).map(([k, v]) => ({ key: `outputs.${k}`, label: v })),
]
const STUDIO_STATE: Record<string, string> = { active: '正常', revoked: '已撤销' }

export function studioCell(row: Record<string, any>, key: string): string {
  const value = key.split('.').reduce<any>((v, k) => (v == null ? v : v[k]), row)
  if (value === null || value === undefined) return '—'
  if (key === 'state') return STUDIO_STATE[value] || value
  if (['agreement', 'plan', 'results'].includes(key)) return REPORT_STATES[value] || value
  if (key.endsWith('_timeliness')) return TIMELINESS[value] || value
  if (key === 'rating') return RATINGS[value] || value
  return show(key, value)
}

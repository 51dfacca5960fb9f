// Chinese names of the API's codes.
export const ROLE_NAMES: Record<string, string> = {
  unit: '单位', tenant: '区/集团主管部门', city_center: '市就业促进中心', city_bureau: '市人社局',
  finance: '市财政局', admin: '系统管理员',
}
export const APPLICATION_STATUS: Record<string, string> = {
  draft: '草稿', submitted: '已提交', returned: '已退回', recommended: '已推荐', under_review: '评审中',
  shortlisted: '拟认定', in_notice: '公示中', objected: '有异议', designated: '已认定', rejected: '未通过',
}
export const STATUS_TAG: Record<string, string> = {
  draft: 'info', submitted: 'primary', returned: 'warning', recommended: 'primary', under_review: 'primary',
  shortlisted: 'success', in_notice: 'warning', objected: 'danger', designated: 'success', rejected: 'danger',
  active: 'success', revoked: 'danger', requested: 'warning', forwarded: 'primary', approved: 'success',
}
export const STUDIO_STATUS: Record<string, string> = { active: '正常', revoked: '已撤销' }
export const REQUEST_STATUS: Record<string, string> = {
  submitted: '已提交', forwarded: '已转报', approved: '已批准', rejected: '已驳回', requested: '待决定',
}
export const ACTION_NAMES: Record<string, string> = {
  create: '创建', edit: '修改', update: '修改', add_material: '上传材料', submit: '提交', add_opinion: '上传审核意见',
  recommend: '推荐', return: '退回', reject: '不予通过', review: '评审', start_notice: '开始公示', object: '登记异议',
  resolve_objection: '处理异议', designate: '认定', import: '导入',
}
export const REVIEW_STAGES: Record<string, string> = {
  material: '材料审核', site_visit: '实地考察', expert: '专家评审', overall: '综合评议',
}
export const MATERIAL_KINDS: Record<string, string> = {
  application_form: '申报表（附件1）', certificate: '职业资格或技能等级证书', award: '获奖证书',
  patent: '专利或主要创新发明材料', rules: '工作室配套制度', premises: '场所、设备情况说明或照片', other: '其他材料',
  tenant_opinion: '主管部门签署的审核意见',
}
export const SKILL_LEVELS = ['学徒工', '初级工', '中级工', '高级工', '技师', '高级技师', '特级技师', '首席技师']
export const TEAM_LEVELS = [...SKILL_LEVELS, '初级职称', '中级职称', '副高级职称', '正高级职称']
export const HONOURS: Record<string, string> = {
  china_skill_award: '中华技能大奖', national_technical_expert: '全国技术能手',
  state_council_allowance: '享受国务院政府特殊津贴', beijing_outstanding_contribution: '北京市有突出贡献的高技能人才',
  beijing_technician_allowance: '享受北京市政府技师特殊津贴',
  worldskills_expert_coach: '世界技能大赛专家组长、教练组长、主教练',
  intangible_heritage_inheritor: '非物质文化遗产传承人', time_honoured_brand_craftsman: '老字号工匠',
}
export const EMPLOYMENT: Record<string, string> = { employed: '在职在聘', rehired: '退休返聘', retired: '已退休', left: '已离职' }
export const ENTRY_KINDS: Record<string, string> = {
  grant: '市级首次资助', bonus: '市级追加资助', matching: '配套资金入账', expenditure: '支出', reversal: '冲正', clawback: '收回',
}
export const CATEGORIES: Record<string, string> = {
  equipment_facilities: '设备设施', skill_rnd: '技能研发', exchange_promotion: '交流推广', training: '培训',
}
export const FUNDINGS: Record<string, string> = { city: '市级资金', matching: '配套资金' }
export const TENANT_KINDS: Record<string, string> = { district: '区', development_zone: '经开区', group: '市属局/企业集团' }
export const CHANGE_KINDS: Record<string, string> = {
  lead_change: '更换领办人', rehire: '返聘', delayed_retirement: '延迟退休', unit_rename: '单位更名', relocation: '地址变更',
}

export function label(map: Record<string, string>, code: string | null | undefined): string {
  if (!code) return '—'
  return map[code] ?? code
}
